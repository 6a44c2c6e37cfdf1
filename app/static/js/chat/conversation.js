/* DreamDot chat: one conversation. Decrypts history, relays over the websocket, shows
   typing, presence and ticks, sends text and encrypted media. */
(function () {
  "use strict";
  var C = window.DDChat;
  var S = { messages: {}, order: [], pending: {}, epochKeys: {}, readSeqs: {}, deliveredSeqs: {}, peerKeys: {} };
  var root, list, ws, keys, conv, me, names, typingTimer, lastTypingSent = 0, retry = 500;

  function $(id) { return document.getElementById(id); }
  function show(id, on) { $(id).hidden = !on; }
  function status(text) { $("chat-status").textContent = text; }
  function nameOf(id) { return names[String(id)] || "someone"; }
  function others() { return conv.member_ids.filter(function (m) { return m !== me; }); }

  function peerKey(id) {
    if (S.peerKeys[id]) return Promise.resolve(S.peerKeys[id]);
    return C.api("GET", "/api/chat/keys/" + id).then(function (k) { S.peerKeys[id] = C.dec(k.public_key); return S.peerKeys[id]; });
  }

  /* Epoch keys of a community conversation, unwrapped with box. */
  function loadEpochKeys() {
    if (conv.kind !== "community") return Promise.resolve();
    return C.api("GET", "/api/chat/conversations/" + conv.id + "/keys").then(function (r) {
      conv.epoch = r.epoch;
      r.keys.forEach(function (e) {
        var key = nacl.box.open(C.dec(e.wrapped_key), C.dec(e.nonce), C.dec(e.sender_public_key), keys.secretKey);
        if (key) S.epochKeys[e.epoch] = key;
      });
      show("chat-waiting", !S.epochKeys[conv.epoch]);
      show("chat-composer", !!S.epochKeys[conv.epoch]);
    });
  }

  function wrapFor(ids, epoch, key) {
    return Promise.all(ids.map(function (id) {
      return peerKey(id).then(function (pk) {
        var nonce = nacl.randomBytes(24);
        return { member_id: id, nonce: C.enc(nonce), wrapped_key: C.enc(nacl.box(key, nonce, pk, keys.secretKey)) };
      }, function () { return null; });
    })).then(function (items) {
      items = items.filter(Boolean);
      return C.api("PUT", "/api/chat/conversations/" + conv.id + "/keys", { epoch: epoch, keys: items });
    });
  }

  /* The server asks: make the new epoch's key, or hand the current one to newcomers. */
  function onKeyRequest(d) {
    if (d.conversation_id !== conv.id) return;
    var done;
    if (d.rotate) {
      var key = nacl.randomBytes(32);
      var ids = d.member_ids.indexOf(me) < 0 ? d.member_ids.concat([me]) : d.member_ids;
      done = wrapFor(ids, d.epoch, key);
    } else if (S.epochKeys[d.epoch]) {
      done = wrapFor(d.member_ids, d.epoch, S.epochKeys[d.epoch]);
    } else return;
    done.catch(function () {}).then(loadEpochKeys).then(redrawLocked);
  }

  function decrypt(m) {
    var plain = null;
    try {
      if (conv.kind === "direct") {
        var other = m.sender_id === me ? m.recipient_key : m.sender_key;
        plain = nacl.box.open(C.dec(m.ciphertext), C.dec(m.nonce), C.dec(other), keys.secretKey);
      } else if (S.epochKeys[m.epoch]) {
        plain = nacl.secretbox.open(C.dec(m.ciphertext), C.dec(m.nonce), S.epochKeys[m.epoch]);
      }
    } catch (e) { plain = null; }
    if (!plain) return null;
    try { return JSON.parse(C.text(plain)); } catch (e) { return { type: "text", text: C.text(plain) }; }
  }

  function ticks(m) {
    if (m.sender_id !== me) return "";
    if (!m.id) return "🕓";
    var read = false, delivered = false;
    others().forEach(function (id) {
      if ((S.readSeqs[id] || 0) >= m.seq) read = true;
      if ((S.deliveredSeqs[id] || 0) >= m.seq) delivered = true;
    });
    return read ? "✓✓ read" : delivered ? "✓✓" : "✓";
  }

  function renderBody(li, body) {
    var content = li.querySelector(".chat-body");
    content.textContent = "";
    if (!body) { content.className = "chat-body chat-undecryptable"; content.textContent = "Cannot decrypt this message on this browser."; return; }
    content.className = "chat-body";
    if (body.type !== "media") { content.textContent = body.text; return; }
    /* A file and the words sent with it are one message: the file, then its caption. */
    var media = document.createElement("div");
    media.className = "chat-media";
    content.appendChild(media);
    if (body.text) {
      var caption = document.createElement("p");
      caption.className = "chat-caption";
      caption.textContent = body.text;
      content.appendChild(caption);
    }
    renderMedia(media, body);
  }

  function renderMedia(el, body) {
    el.textContent = "Decrypting " + (body.name || "file") + "…";
    fetch("/api/chat/media/" + body.blob_id, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("unavailable");
      return r.arrayBuffer();
    }).then(function (buf) {
      var plain = nacl.secretbox.open(new Uint8Array(buf), C.dec(body.nonce), C.dec(body.key));
      if (!plain) throw new Error("cannot decrypt");
      var url = URL.createObjectURL(new Blob([plain], { type: body.mime || "application/octet-stream" }));
      var kind = (body.mime || "").split("/")[0], node;
      if (kind === "image") { node = document.createElement("img"); node.alt = body.name || "image"; }
      else if (kind === "video" || kind === "audio") { node = document.createElement(kind); node.controls = true; }
      else { node = document.createElement("a"); node.download = body.name || "file"; node.textContent = "Download " + (body.name || "file"); }
      node[node.tagName === "A" ? "href" : "src"] = url;
      el.textContent = "";
      el.appendChild(node);
    }).catch(function (e) { el.textContent = "The file could not be shown (" + e.message + ")."; });
  }

  function draw(m) {
    var li = m.id && document.getElementById("msg-" + m.id) || document.getElementById("pending-" + m.client_msg_id);
    var fresh = !li;
    if (fresh) {
      li = document.createElement("li");
      li.innerHTML = '<div class="chat-meta"></div><div class="chat-body"></div><span class="chat-ticks"></span>';
      list.appendChild(li);
    }
    li.id = m.id ? "msg-" + m.id : "pending-" + m.client_msg_id;
    li.className = m.sender_id === me ? "mine" : "theirs";
    li.querySelector(".chat-meta").textContent = (m.sender_id === me ? "You" : nameOf(m.sender_id)) +
      (m.created_at ? " · " + new Date(m.created_at).toLocaleTimeString() : "");
    if (fresh || m.redraw) renderBody(li, m.body === undefined ? decrypt(m) : m.body);
    var t = li.querySelector(".chat-ticks");
    t.textContent = ticks(m);
    t.className = "chat-ticks" + (t.textContent.indexOf("read") >= 0 ? " read" : "");
    list.scrollTop = list.scrollHeight;
  }

  function redrawLocked() {
    S.order.forEach(function (id) {
      var m = S.messages[id], li = document.getElementById("msg-" + id);
      if (li && li.querySelector(".chat-undecryptable")) { m.redraw = true; m.body = undefined; draw(m); m.redraw = false; }
    });
  }

  function redrawTicks() { S.order.forEach(function (id) { if (S.messages[id].sender_id === me) draw(S.messages[id]); }); }

  function receive(m) {
    if (S.messages[m.id]) return;
    S.messages[m.id] = m;
    S.order.push(m.id);
    delete S.pending[m.client_msg_id];
    draw(m);
  }

  function lastFromOthers() {
    for (var i = S.order.length - 1; i >= 0; i--) if (S.messages[S.order[i]].sender_id !== me) return S.messages[S.order[i]];
    return null;
  }

  function acknowledge() {
    var m = lastFromOthers();
    if (!m || !ws || ws.readyState !== 1) return;
    var status = document.visibilityState === "visible" ? "read" : "delivered";
    if (status === "read" && (S.readSeqs[me] || 0) >= m.seq) return;
    if (status === "delivered" && (S.deliveredSeqs[me] || 0) >= m.seq) return;
    ws.send(JSON.stringify({ event: "message_ack", data: { conversation_id: conv.id, message_id: m.id, status: status } }));
  }

  function loadHistory(after) {
    var url = "/api/chat/conversations/" + conv.id + "/messages?limit=100" + (after ? "&after=" + after : "");
    return C.api("GET", url).then(function (r) {
      r.messages.forEach(receive);
      if (r.next_cursor) return loadHistory(r.next_cursor);
    });
  }

  function onEvent(frame) {
    var d = frame.data || {};
    if (frame.event === "message" && d.conversation_id === conv.id) { receive(d); acknowledge(); }
    else if (frame.event === "message_ack" && d.status === "stored" && S.pending[d.client_msg_id]) {
      var p = S.pending[d.client_msg_id]; p.id = d.message_id; draw(p);
    } else if (frame.event === "message_ack" && d.conversation_id === conv.id && d.user_id) {
      var target = d.status === "read" ? S.readSeqs : S.deliveredSeqs;
      target[d.user_id] = Math.max(target[d.user_id] || 0, d.seq || 0);
      if (d.status === "read") S.deliveredSeqs[d.user_id] = Math.max(S.deliveredSeqs[d.user_id] || 0, d.seq || 0);
      redrawTicks();
    } else if (frame.event === "typing" && d.conversation_id === conv.id) {
      $("chat-typing").textContent = d.is_typing ? nameOf(d.user_id) + " is typing…" : "";
      clearTimeout(typingTimer);
      if (d.is_typing) typingTimer = setTimeout(function () { $("chat-typing").textContent = ""; }, 6000);
    } else if (frame.event === "presence" && conv.member_ids.indexOf(d.user_id) >= 0 && d.user_id !== me) {
      S.online = S.online || {};
      S.online[d.user_id] = d.online;
      var on = others().filter(function (id) { return S.online[id]; }).map(nameOf);
      $("chat-presence").textContent = on.length ? "Online: " + on.join(", ") : "Nobody else online";
    } else if (frame.event === "key_request") onKeyRequest(d);
    else if (frame.event === "key_ready" && d.conversation_id === conv.id) loadEpochKeys().then(redrawLocked);
    else if (frame.event === "error") status("Error: " + d.message);
  }

  // The session cookie signs the socket in: only the path goes into the URL, never a
  // credential (api.md; a client without the cookie asks POST /api/chat/ticket first).
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + new URL(root.dataset.wsUrl, location.href).pathname);
    ws.onopen = function () {
      retry = 500; status("Connected.");
      var last = S.order[S.order.length - 1];
      loadHistory(last).then(acknowledge);  // whatever arrived while we were away
    };
    ws.onmessage = function (e) { try { onEvent(JSON.parse(e.data)); } catch (err) { /* ignore a bad frame */ } };
    ws.onclose = function () {
      status("Reconnecting…");
      // Exponential backoff with jitter: after an outage every browser reconnects, and a
      // random half of each delay keeps them from all arriving in the same instant.
      setTimeout(connect, retry / 2 + Math.random() * retry / 2);
      retry = Math.min(retry * 2, 30000);
    };
  }

  function sendPayload(body, blobIds) {
    var nonce = nacl.randomBytes(24), plain = C.utf8(JSON.stringify(body)), sealed;
    var clientId = (crypto.randomUUID ? crypto.randomUUID() : C.hex(nacl.randomBytes(16)));
    if (conv.kind === "community" && !S.epochKeys[conv.epoch]) {
      show("chat-waiting", true);
      return Promise.reject(new Error("waiting for keys"));
    }
    var done = conv.kind === "direct" ? peerKey(others()[0]).then(function (pk) { sealed = nacl.box(plain, nonce, pk, keys.secretKey); })
      : Promise.resolve().then(function () { sealed = nacl.secretbox(plain, nonce, S.epochKeys[conv.epoch]); });
    return done.then(function () {
      var m = { client_msg_id: clientId, sender_id: me, body: body };
      S.pending[clientId] = m;
      draw(m);
      var data = { conversation_id: conv.id, client_msg_id: clientId, nonce: C.enc(nonce), ciphertext: C.enc(sealed), epoch: conv.epoch };
      if (blobIds) data.blob_ids = blobIds;
      ws.send(JSON.stringify({ event: "send_message", data: data }));
    });
  }

  function upload(file) {
    return new Promise(function (resolve, reject) {
      file.arrayBuffer().then(function (buf) {
        var key = nacl.randomBytes(32), nonce = nacl.randomBytes(24);
        var sealed = nacl.secretbox(new Uint8Array(buf), nonce, key);
        var form = new FormData();
        form.append("blob", new Blob([sealed], { type: "application/octet-stream" }), "blob");
        var xhr = new XMLHttpRequest(), bar = $("chat-progress");
        bar.hidden = false; bar.value = 0;
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
        xhr.onload = function () {
          bar.hidden = true;
          if (xhr.status !== 201) return reject(new Error("upload refused (" + xhr.status + ")"));
          resolve({ type: "media", blob_id: JSON.parse(xhr.responseText).blob_id, key: C.enc(key), nonce: C.enc(nonce),
                    mime: file.type || "application/octet-stream", name: file.name, size: file.size });
        };
        xhr.onerror = function () { bar.hidden = true; reject(new Error("upload failed")); };
        xhr.open("POST", "/api/chat/media");
        xhr.setRequestHeader("X-CSRFToken", C.csrf());
        xhr.send(form);
      }, reject);
    });
  }

  function typing(on) {
    if (!ws || ws.readyState !== 1) return;
    ws.send(JSON.stringify({ event: "typing", data: { conversation_id: conv.id, is_typing: on } }));
  }

  /* One message: the text, or the file with the text as its caption. The box empties once it
     is on its way; on a failure the text stays, to be sent again. */
  function submit(e) {
    e.preventDefault();
    var input = $("chat-input"), fileInput = $("chat-file"), send = $("chat-send");
    var text = input.value.trim(), file = fileInput.files[0];
    if (send.disabled || (!text && !file)) return;
    if (file && file.size > 25 * 1024 * 1024) return status("Files are limited to 25 MB.");
    var sent;
    send.disabled = true;  // a second Enter while this one is on its way sends nothing
    if (file) {
      sent = upload(file).then(function (body) {
        if (text) body.text = text;
        return sendPayload(body, [body.blob_id]);
      }).then(function () { fileInput.value = ""; });
    } else {
      sent = sendPayload({ type: "text", text: text });
    }
    sent.then(function () { if (input.value.trim() === text) input.value = ""; },
      function (err) { status((file ? "The file was not sent: " : "Not sent: ") + err.message); })
      .then(function () { send.disabled = false; });
    typing(false); lastTypingSent = 0;
  }

  /* Enter sends, Shift+Enter starts a new line (and Enter while an input method composes a
     character is the composition's). */
  function onKeydown(e) {
    if (e.key !== "Enter" || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    $("chat-composer").requestSubmit();
  }

  /* This browser lacks the key the history was sealed to: the way to the restore screen. */
  function offerRestore() {
    var el = $("chat-status"), a = document.createElement("a");
    var next = encodeURIComponent(location.pathname);
    a.href = (root.dataset.keysUrl || "/chat/keys") + "?next=" + next + "#chat-restore-form";
    a.textContent = "Restore your key to read this conversation";
    el.textContent = "This browser does not hold your chat key. ";
    el.appendChild(a);
    el.appendChild(document.createTextNode("."));
  }

  function onInput() {
    var now = Date.now();
    if (now - lastTypingSent > 3000) { typing(true); lastTypingSent = now; }
    clearTimeout(S.stopTyping);
    S.stopTyping = setTimeout(function () { typing(false); lastTypingSent = 0; }, 4000);
  }

  /* Key-change warnings: since the user verified the key (server), since last seen (this browser). */
  function checkPeerKey() {
    if (conv.kind !== "direct") return Promise.resolve();
    var peer = others()[0], seenKey = me + ":" + peer;
    // The page lists the peers' keys it knew of: one without a key has not set chat up, and
    // is not asked for (that lookup would answer 404); a send asks again, in case they have since.
    if (!S.peerKeys[peer]) { status(nameOf(peer) + " has not set up chat yet."); return Promise.resolve(); }
    return peerKey(peer).then(C.fingerprint).then(function (fp) {
      return C.idbGet("seen", seenKey).then(function (seen) {
        var warn = [];
        if (root.dataset.keyChanged === "1") warn.push(nameOf(peer) + "'s key changed since you verified it.");
        if (seen && seen !== fp) warn.push(nameOf(peer) + "'s key changed since you last chatted: compare the safety number.");
        if (warn.length) { $("chat-key-warning").textContent = warn.join(" "); show("chat-key-warning", true); }
        return C.idbPut("seen", seenKey, fp);
      });
    }, function () { status(nameOf(peer) + " has not set up chat yet."); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = $("chat-root"); list = $("chat-messages");
    me = Number(root.dataset.userId);
    var known = JSON.parse(root.dataset.peerKeys || "{}");
    Object.keys(known).forEach(function (id) { S.peerKeys[id] = C.dec(known[id]); });
    names = JSON.parse(root.dataset.names || "{}");
    C.ready.then(function (k) {
      keys = k;
      return C.api("GET", "/api/chat/conversations/" + root.dataset.conversationId);
    }).then(function (r) {
      conv = r.conversation;
      Object.keys(conv.read_seqs).forEach(function (id) { S.readSeqs[id] = conv.read_seqs[id]; });
      Object.keys(conv.delivered_seqs).forEach(function (id) { S.deliveredSeqs[id] = conv.delivered_seqs[id]; });
      show("chat-composer", conv.kind === "direct");
      return Promise.all([loadEpochKeys(), checkPeerKey()]);
    }).then(function () {
      $("chat-composer").addEventListener("submit", submit);
      $("chat-input").addEventListener("input", onInput);
      $("chat-input").addEventListener("keydown", onKeydown);
      document.addEventListener("visibilitychange", acknowledge);
      return loadHistory();
    }).then(connect).catch(function (err) {
      if (err.code !== "needs_restore") status("Chat could not start: " + err.message);
      else offerRestore();
    });
  });
})();
