/* DreamDot chat: the safety number, computed here from this browser's own key. */
(function () {
  "use strict";
  var C = window.DDChat;
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("chat-root"), out = document.getElementById("safety-check");
    if (!out) return;
    C.ready.then(function (keys) {
      return C.api("GET", "/api/chat/keys/" + root.dataset.contactId).then(function (k) {
        return C.safetyNumber(keys.publicKey, C.dec(k.public_key));
      });
    }).then(function (number) {
      if (number === root.dataset.serverNumber) out.textContent = "Your browser computed the same number from your own key.";
      else {
        out.textContent = "Your browser computes " + number + " — it differs from the number above. Do not trust this conversation until you find out why.";
        out.className = "chat-warning";
      }
    }, function (err) { out.textContent = "Your browser could not check the number: " + err.message; });
  });
})();
