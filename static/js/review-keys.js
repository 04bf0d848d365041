/* Keyboard shortcuts on the staff case pages, without accesskey (which collides
   with browser and screen-reader keys). An element marked data-review-key="x"
   answers the key x: a button or a field gets the focus (Enter then confirms,
   so a stray key never decides a case); one marked data-review-click as well is
   pressed at once (opening the next case decides nothing). Keys typed in a
   field, or with a modifier, are left alone. */
(function () {
  "use strict";
  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing || typing(event.target)) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    if (key.length !== 1) { return; }
    var element = document.querySelector('[data-review-key="' + key + '"]');
    if (!element) { return; }
    event.preventDefault();
    if (element.hasAttribute("data-review-click")) {
      element.click();
    } else {
      element.focus();
      element.scrollIntoView({block: "nearest"});
    }
  });
  /* Macros: a canned reply chosen with one click fills the reply box, still editable. */
  document.addEventListener("click", function (event) {
    var macro = event.target.closest && event.target.closest("[data-macro-target]");
    if (!macro) { return; }
    var box = document.getElementById(macro.getAttribute("data-macro-target"));
    if (!box) { return; }
    event.preventDefault();
    box.value = macro.getAttribute("data-macro-body");
    box.focus();
  });
})();
