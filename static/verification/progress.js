// Poll the request's state; when it changes, bring in the new state without a
// reload and tell screen readers (a polite live region), until decided.
(function () {
  "use strict";
  var live = document.getElementById("progress-live");
  var announce = document.getElementById("progress-announce");
  var box = document.getElementById("progress");
  if (!live || !box || box.dataset.decided || !window.fetch || !window.DOMParser) { return; }
  var url = box.dataset.pollUrl;
  var state = box.dataset.state;
  var delay = 2000;

  function showScriptOnlyHints() {
    live.querySelectorAll(".js-only").forEach(function (el) { el.classList.remove("d-none"); });
  }

  function sayWhatChanged() {
    var heading = live.querySelector("[data-testid=progress-state]");
    var first = heading && heading.nextElementSibling;
    var words = [heading, first].filter(Boolean).map(function (el) { return el.textContent.trim(); });
    announce.textContent = "";
    setTimeout(function () { announce.textContent = words.join(" "); }, 50);
  }

  function bringInNewState() {
    return fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("progress-live");
        if (!fresh) { throw new Error("no progress on the page"); }
        live.innerHTML = fresh.innerHTML;
        box = document.getElementById("progress");
        state = box.dataset.state;
        showScriptOnlyHints();
        sayWhatChanged();
        return !box.dataset.decided;
      });
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (j && j.state !== state) {
          return bringInNewState().then(function (goOn) {
            if (goOn) { delay = 2000; setTimeout(poll, delay); }
          }, function () { window.location.reload(); });
        }
        delay = Math.min(delay * 1.3, 15000);
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 15000); });
  }
  showScriptOnlyHints();
  setTimeout(poll, delay);
})();
