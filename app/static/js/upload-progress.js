// Large uploads: when JavaScript runs, a form marked data-upload-progress is sent with
// XMLHttpRequest so a progress bar can show how much has gone up. Without JavaScript it
// is an ordinary multipart form post.
(function () {
  "use strict";

  function send(form, event) {
    if (!window.XMLHttpRequest || !window.FormData) return;
    event.preventDefault();
    var bar = form.querySelector(".upload-progress");
    var status = form.querySelector(".upload-status");
    var button = form.querySelector("button[type='submit']");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");  // the server answers a redirect header or the form fragment
    if (bar) { bar.hidden = false; bar.value = 0; }
    if (button) button.disabled = true;
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round((e.loaded / e.total) * 100);
      if (bar) bar.value = percent;
      if (status) status.textContent = "Uploading: " + percent + "%";
    });
    xhr.addEventListener("load", function () {
      var target = xhr.getResponseHeader("HX-Redirect");
      if (target && target.charAt(0) === "/" && target.charAt(1) !== "/") {
        window.location.assign(target);
        return;
      }
      if (xhr.status === 422 || xhr.status === 413) {
        var holder = document.createElement("div");
        holder.innerHTML = xhr.responseText;
        var fresh = holder.querySelector("form#" + form.id);
        if (fresh) {
          form.replaceWith(fresh);
          init();
          document.dispatchEvent(new Event("item-form-replaced"));
          return;
        }
      }
      if (status) status.textContent = "The upload failed (" + xhr.status + "). Try again.";
      if (button) button.disabled = false;
    });
    xhr.addEventListener("error", function () {
      if (status) status.textContent = "The upload was interrupted. Try again.";
      if (button) button.disabled = false;
    });
    xhr.send(new FormData(form));
  }

  function init() {
    document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
      if (form.dataset.progressReady) return;
      form.dataset.progressReady = "1";
      form.addEventListener("submit", function (event) { send(form, event); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
