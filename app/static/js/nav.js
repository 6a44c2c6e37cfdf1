// The navigation's menus are <details>: they open and close without JavaScript. With it,
// Escape or a click elsewhere closes an open one, as people expect of a menu.
(function () {
  "use strict";
  function openMenus() { return document.querySelectorAll(".site-nav details[open]"); }
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) { if (!menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
})();
