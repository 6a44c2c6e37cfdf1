/* DreamDot chat: the user's key pair, made in this browser on first use. */
(function () {
  "use strict";
  var C = window.DDChat;

  function status(text) {
    var el = document.getElementById("chat-key-status");
    if (el) el.textContent = text;
  }

  function register(userId, pair) {
    return C.api("PUT", "/api/chat/keys", { public_key: C.enc(pair.publicKey) }).then(function () { return pair; });
  }

  function makeKeys(userId) {
    var pair = nacl.box.keyPair();
    var record = { secretKey: pair.secretKey, publicKey: pair.publicKey };
    return C.idbPut("keys", String(userId), record).then(function () { return register(userId, record); });
  }
  C.makeKeys = makeKeys;

  /* The key pair of this browser. A browser without one, for an account that already has a
     key, is a new device: it offers the restore screen instead of silently making a key
     that could not read the history. */
  C.ensureKeys = function (userId) {
    // The page says which key the server holds for this user ("" for none), so a first
    // visit asks nothing that would answer 404.
    var root = document.getElementById("chat-root");
    var known = root && root.dataset.publicKey !== undefined ? root.dataset.publicKey : null;
    return C.idbGet("keys", String(userId)).then(function (record) {
      if (known !== null) return [record, known ? { public_key: known } : null];
      return C.api("GET", "/api/chat/keys/" + userId).then(function (server) { return [record, server]; },
        function (err) { if (err.status === 404) return [record, null]; throw err; });
    }).then(function (both) {
      var record = both[0], server = both[1];
      if (record) {
        if (!server || server.public_key !== C.enc(record.publicKey)) return register(userId, record);
        return record;
      }
      if (server) {
        var err = new Error("needs-restore");
        err.code = "needs_restore";
        throw err;
      }
      return makeKeys(userId);
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("chat-root");
    if (!root || !root.dataset.userId) return;
    C.userId = Number(root.dataset.userId);
    C.ready = C.ensureKeys(C.userId).then(function (keys) {
      status("Your chat key is set up in this browser.");
      return keys;
    }, function (err) {
      if (err.code === "needs_restore") {
        var keysUrl = root.dataset.keysUrl || "/chat/keys";
        var el = document.getElementById("chat-key-status");
        if (el) {
          el.textContent = "This browser does not hold your chat key yet. ";
          var a = document.createElement("a");
          a.href = keysUrl; a.textContent = "Restore it from your backup";
          el.appendChild(a);
        }
      } else {
        status("Chat keys could not be set up: " + err.message);
      }
      throw err;
    });
    C.ready.catch(function () {});
  });
})();
