// The writing editor: Quill replaces the Markdown textarea when JavaScript runs. The form
// still posts the textarea, now holding the editor's HTML (body_format=html); the server
// sanitizes it either way. A toolbar button inserts the paywall marker line.
(function () {
  "use strict";
  var MARKER = "---paywall---";

  function setUp(textarea) {
    if (typeof window.Quill === "undefined" || textarea.dataset.ready) return;
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
      modules: {
        toolbar: {
          container: [[{ header: [2, 3, false] }], ["bold", "italic", "underline", "strike"],
                      ["blockquote", "code-block", "link"], [{ list: "ordered" }, { list: "bullet" }],
                      ["paywall"]],
          handlers: {
            paywall: function () {
              var range = quill.getSelection(true);
              var at = range ? range.index : quill.getLength();
              quill.insertText(at, "\n" + MARKER + "\n", "user");
              quill.setSelection(at + MARKER.length + 2, 0, "user");
            }
          }
        }
      }
    });
    var button = holder.previousSibling && holder.previousSibling.querySelector(".ql-paywall");
    if (button) {
      button.textContent = "Paywall here";
      button.setAttribute("aria-label", "Insert the paywall marker");
      button.classList.add("paywall-button");
    }
    if (textarea.value.trim()) {
      if (format && format.value === "html") {
        quill.clipboard.dangerouslyPasteHTML(textarea.value);  // our own sanitized HTML
      } else {
        quill.setText(textarea.value);
      }
    }
    if (format) format.value = "html";
    var sync = function () { textarea.value = quill.root.innerHTML; };
    quill.on("text-change", sync);
    form.addEventListener("submit", sync, true);
    form.addEventListener("formdata", sync, true);
  }

  function init() {
    document.querySelectorAll("textarea[data-editor='quill']").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
