// The item form when JavaScript runs. (1) Writing: Quill and our editor (item-editor.js),
// loaded only once a writing is being edited, replace the Markdown textarea. (2) Uploads go
// by XMLHttpRequest with a progress bar. Without JavaScript the form is a plain multipart
// post taking Markdown.
(function () {
  "use strict";
  var me = document.currentScript;
  var data = me ? me.dataset : {};
  var loading = null;

  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var node = document.createElement(tag);
      Object.keys(attrs).forEach(function (name) { node[name] = attrs[name]; });
      node.onload = resolve;
      node.onerror = reject;
      document.head.appendChild(node);
    });
  }

  function loadEditor() {
    if (!loading) {
      load("link", { rel: "stylesheet", href: data.quillCss });
      loading = load("script", { src: data.quillJs }).then(function () {
        return load("script", { src: data.editorJs });
      });
    }
    return loading;
  }

  function maybeEditor(form) {
    var textarea = form.querySelector("textarea[data-editor='quill']");
    if (!textarea) return;
    var kind = form.querySelector("select[name='kind']");
    if (kind && kind.value !== "writing") return;
    loadEditor().then(function () { window.dreamdotStartEditor(textarea); }, function () { /* keep the textarea */ });
  }

  function upload(form, event) {
    if (!window.XMLHttpRequest || !window.FormData) return;
    event.preventDefault();
    var bar = form.querySelector(".upload-progress");
    var status = form.querySelector(".upload-status");
    var button = form.querySelector("button[type='submit']");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");  // answered with HX-Redirect or the form fragment
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
      if (target && target.charAt(0) === "/" && target.charAt(1) !== "/") { window.location.assign(target); return; }
      if (xhr.status === 422 || xhr.status === 413) {
        var holder = document.createElement("div");
        holder.innerHTML = xhr.responseText;
        var fresh = holder.querySelector("form#" + form.id);
        if (fresh) { form.replaceWith(fresh); init(); return; }
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
    document.querySelectorAll("form[data-item-form]").forEach(function (form) {
      if (form.dataset.ready) return;
      form.dataset.ready = "1";
      form.addEventListener("submit", function (event) { upload(form, event); });
      var kind = form.querySelector("select[name='kind']");
      if (kind) kind.addEventListener("change", function () { maybeEditor(form); });
      maybeEditor(form);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
