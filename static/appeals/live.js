// Keep an open case page current: ask for its live part every few seconds and,
// when it changed, swap it in and tell screen readers (a polite live region).
// The reply box is left alone, so nothing the owner is typing is lost.
(function () {
  "use strict";
  var box = document.getElementById("case-live");
  var announce = document.getElementById("case-announce");
  if (!box || !window.fetch) { return; }
  var body = function () { return document.getElementById("case-live-body"); };
  if (!body() || !body().dataset.open) { return; }
  var url = box.dataset.pollUrl;
  var every = Math.max(2, parseInt(box.dataset.pollSeconds || "4", 10)) * 1000;
  var delay = every;

  function poll() {
    if (document.hidden) { setTimeout(poll, every); return; }
    fetch(url + "?v=" + encodeURIComponent(body().dataset.version),
          {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { return r.status === 200 ? r.text() : null; })
      .then(function (html) {
        if (html) {
          box.innerHTML = html;
          var fresh = body();
          if (announce && fresh.dataset.announce) {
            announce.textContent = "";
            setTimeout(function () { announce.textContent = fresh.dataset.announce; }, 50);
          }
          if (!fresh.dataset.open) {
            var form = document.getElementById("reply-form");
            if (form) { form.hidden = true; }
            return;  // closed or decided: nothing more will come
          }
        }
        delay = every;
        setTimeout(poll, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 60000); setTimeout(poll, delay); });
  }
  setTimeout(poll, every);
})();
