/* DreamDot chat: shared helpers (base64, API calls, IndexedDB, safety numbers). */
(function () {
  "use strict";
  var C = (window.DDChat = window.DDChat || {});

  C.enc = function (bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  C.dec = function (text) {
    var s = atob(text), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  };
  C.utf8 = function (text) { return new TextEncoder().encode(text); };
  C.text = function (bytes) { return new TextDecoder().decode(bytes); };

  C.csrf = function () {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  };

  C.api = function (method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-CSRFToken": C.csrf() } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (data) {
        if (!r.ok) { var err = new Error((data.error && data.error.message) || r.statusText); err.status = r.status; err.code = data.error && data.error.code; throw err; }
        return data;
      });
    });
  };

  /* IndexedDB: the secret key stays in this browser. */
  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("dreamdot-chat", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("keys"); req.result.createObjectStore("seen"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function op(store, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(store, mode), req = fn(tx.objectStore(store));
        tx.oncomplete = function () { resolve(req.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  C.idbGet = function (store, key) { return op(store, "readonly", function (s) { return s.get(key); }); };
  C.idbPut = function (store, key, value) { return op(store, "readwrite", function (s) { return s.put(value, key); }); };

  C.sha256 = function (bytes) { return crypto.subtle.digest("SHA-256", bytes).then(function (b) { return new Uint8Array(b); }); };
  C.hex = function (bytes) { return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""); };
  C.fingerprint = function (publicKey) { return C.sha256(publicKey).then(C.hex); };

  function compare(a, b) {
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  }
  /* The same as app/services/chat/keys.py: safety_number. */
  C.safetyNumber = function (keyA, keyB) {
    var sorted = compare(keyA, keyB) <= 0 ? [keyA, keyB] : [keyB, keyA];
    var label = C.utf8("DreamDot safety number v1");
    var input = new Uint8Array(label.length + 64);
    input.set(label); input.set(sorted[0], label.length); input.set(sorted[1], label.length + 32);
    return C.sha256(input).then(function (first) {
      return C.sha256(first).then(function (second) {
        var m = new Uint8Array(64), groups = [];
        m.set(first); m.set(second, 32);
        for (var i = 0; i < 12; i++) {
          var n = 0;
          for (var j = 0; j < 5; j++) n = n * 256 + m[i * 5 + j];
          groups.push(("0000" + (n % 100000)).slice(-5));
        }
        return groups.join(" ");
      });
    });
  };
})();
