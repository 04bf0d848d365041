// Preview the chosen ID photo before it is uploaded (no inline script: CSP).
(function () {
  "use strict";
  var input = document.querySelector(".js-photo-input");
  var preview = document.querySelector(".photo-preview");
  if (!input || !preview || !window.URL) { return; }
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) { preview.classList.add("d-none"); return; }
    preview.src = URL.createObjectURL(file);
    preview.classList.remove("d-none");
  });
})();
