// Poll the request's state and reload the page when it changes (until decided).
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || box.dataset.decided) { return; }
  document.querySelectorAll(".js-only").forEach(function (el) { el.classList.remove("d-none"); });
  var url = box.dataset.pollUrl;
  var state = box.dataset.state;
  var delay = 2000;
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (j && j.state !== state) { window.location.reload(); return; }
        delay = Math.min(delay * 1.3, 15000);
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 15000); });
  }
  setTimeout(poll, delay);
})();
