// The item form when JavaScript runs. (1) Writing: Quill, loaded only once a writing is
// being edited, replaces the Markdown textarea; the textarea then carries the editor's
// HTML (body_format=html) and the server sanitizes either way. A toolbar button inserts
// the paywall marker line. (2) Uploads go by XMLHttpRequest with a progress bar. Without
// JavaScript the form is a plain multipart post taking Markdown.
(function () {
  "use strict";
  var MARKER = "---paywall---";
  var me = document.currentScript;
  var quillJs = me && me.dataset.quillJs;
  var quillCss = me && me.dataset.quillCss;
  var loading = null;

  function loadQuill() {
    if (window.Quill) return Promise.resolve();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var css = document.createElement("link");
        css.rel = "stylesheet";
        css.href = quillCss;
        document.head.appendChild(css);
        var js = document.createElement("script");
        js.src = quillJs;
        js.onload = resolve;
        js.onerror = reject;
        document.head.appendChild(js);
      });
    }
    return loading;
  }

  function startEditor(textarea) {
    if (textarea.dataset.ready) return;
    textarea.dataset.ready = "1";
    var form = textarea.form;
    var format = form.querySelector("input[name='body_format']");
    var holder = document.createElement("div");
    holder.className = "editor";
    textarea.parentNode.insertBefore(holder, textarea);
    textarea.hidden = true;
    var hint = document.getElementById(textarea.id + "-hint");
    if (hint) hint.textContent = "Use the toolbar; “Paywall here” marks where the free preview ends.";
    var quill = new window.Quill(holder, {
      theme: "snow",
      modules: { toolbar: {
        container: [[{ header: [2, 3, false] }], ["bold", "italic", "underline", "strike"],
                    ["blockquote", "code-block", "link"], [{ list: "ordered" }, { list: "bullet" }], ["paywall"]],
        handlers: { paywall: function () {
          var range = quill.getSelection(true);
          var at = range ? range.index : quill.getLength();
          quill.insertText(at, "\n" + MARKER + "\n", "user");
          quill.setSelection(at + MARKER.length + 2, 0, "user");
        } }
      } }
    });
    var button = form.querySelector(".ql-paywall");
    if (button) {
      button.textContent = "Paywall here";
      button.setAttribute("aria-label", "Paywall here: the free preview ends at this line");
      button.classList.add("paywall-button");
    }
    // HTML in the textarea is the editor's own (sanitized by the server, or sent back with
    // errors); an edited piece written in Markdown opens as the server rendered it, paywall
    // marker included (data-editor-html).
    var text = textarea.value.trim();
    var html = format && format.value === "html" && text ? textarea.value : textarea.dataset.editorHtml;
    if (html) quill.clipboard.dangerouslyPasteHTML(html);  // our own sanitized HTML
    else if (text) quill.setText(textarea.value);
    if (format) format.value = "html";
    var sync = function () { textarea.value = quill.root.innerHTML; };
    quill.on("text-change", sync);
    sync();
  }

  function maybeEditor(form) {
    var textarea = form.querySelector("textarea[data-editor='quill']");
    if (!textarea) return;
    var kind = form.querySelector("select[name='kind']");
    if (kind && kind.value !== "writing") return;
    loadQuill().then(function () { startEditor(textarea); }, function () { /* keep the textarea */ });
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
