// The rich editor of a writing's item form, loaded with Quill by item-form.js: Quill replaces
// the Markdown textarea, which then carries the editor's HTML (body_format=html); the server
// sanitizes either way. A toolbar button inserts the paywall marker line.
(function () {
  "use strict";
  var MARKER = "---paywall---";

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
    // Quill's heading picker is a span with role="button" and no text: give it and its
    // choices names that screen readers can say.
    form.querySelectorAll(".ql-header.ql-picker").forEach(function (picker) {
      var label = picker.querySelector(".ql-picker-label");
      if (label) label.setAttribute("aria-label", "Text style");
      picker.querySelectorAll(".ql-picker-item").forEach(function (item) {
        var level = item.getAttribute("data-value");
        item.setAttribute("aria-label", level ? "Heading " + level : "Normal text");
      });
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

  window.dreamdotStartEditor = startEditor;
})();
