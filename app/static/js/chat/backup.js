/* DreamDot chat: the key backup, sealed with a passphrase (PBKDF2-SHA256 + secretbox). */
(function () {
  "use strict";
  var C = window.DDChat;

  function derive(passphrase, salt, iterations) {
    return crypto.subtle.importKey("raw", C.utf8(passphrase), "PBKDF2", false, ["deriveBits"]).then(function (base) {
      return crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations }, base, 256);
    }).then(function (bits) { return new Uint8Array(bits); });
  }

  function say(id, text) { document.getElementById(id).textContent = text; }

  function backup(event) {
    event.preventDefault();
    var pass = document.getElementById("backup-passphrase").value;
    if (pass.length < 10) return say("backup-result", "Use at least 10 characters.");
    if (pass !== document.getElementById("backup-confirm").value) return say("backup-result", "The two passphrases differ.");
    var iterations = Number(document.getElementById("chat-root").dataset.iterations);
    var salt = nacl.randomBytes(16), nonce = nacl.randomBytes(24);
    say("backup-result", "Sealing your key…");
    C.ready.then(function (keys) {
      return derive(pass, salt, iterations).then(function (key) {
        var sealed = nacl.secretbox(keys.secretKey, nonce, key);
        return C.api("PUT", "/api/chat/key-backup", { salt: C.enc(salt), iterations: iterations, nonce: C.enc(nonce), ciphertext: C.enc(sealed) });
      });
    }).then(function () { say("backup-result", "Backup saved. Keep the passphrase safe: we cannot recover it."); },
      function (err) { say("backup-result", "The backup failed: " + err.message); });
  }

  function restore(event) {
    event.preventDefault();
    var pass = document.getElementById("restore-passphrase").value;
    say("restore-result", "Unlocking…");
    C.api("GET", "/api/chat/key-backup").then(function (b) {
      return derive(pass, C.dec(b.salt), b.iterations).then(function (key) {
        var secretKey = nacl.secretbox.open(C.dec(b.ciphertext), C.dec(b.nonce), key);
        if (!secretKey) throw new Error("wrong passphrase");
        var pair = nacl.box.keyPair.fromSecretKey(secretKey);
        return C.idbPut("keys", String(C.userId), { secretKey: pair.secretKey, publicKey: pair.publicKey }).then(function () {
          return C.api("PUT", "/api/chat/keys", { public_key: C.enc(pair.publicKey) });
        });
      });
    }).then(function () {
      C.ready = Promise.resolve();
      say("restore-result", "Your key is restored in this browser. Your history can be read here now.");
      say("chat-key-status", "Your chat key is set up in this browser.");
      offerReturn();
    }, function (err) {
      say("restore-result", err.status === 404 ? "There is no backup for this account." :
        "That passphrase does not open the backup (" + err.message + ").");
    });
  }

  /* Sent here from a conversation (?next=/chat/<id>): a way back to it, now readable. */
  function offerReturn() {
    var next = new URLSearchParams(location.search).get("next") || "";
    if (!/^\/chat\/[0-9a-f]{24}$/.test(next)) return;
    var result = document.getElementById("restore-result"), a = document.createElement("a");
    a.href = next;
    a.textContent = "Back to the conversation";
    result.appendChild(document.createTextNode(" "));
    result.appendChild(a);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("chat-backup-form").addEventListener("submit", backup);
    document.getElementById("chat-restore-form").addEventListener("submit", restore);
    var fresh = document.getElementById("chat-new-key");
    if (fresh) fresh.addEventListener("click", function () {
      if (!window.confirm("Make a new key? Messages sent to your old key stay unreadable.")) return;
      C.makeKeys(C.userId).then(function () { say("chat-key-status", "A new key is set up in this browser."); });
    });
  });
})();
