// Stub liveness capture: open the front camera, grab a few frames while the
// user follows the challenge, and post each one. Upload fallback is a form.
(function () {
  "use strict";
  var box = document.getElementById("liveness");
  if (!box) { return; }
  var button = box.querySelector("[data-testid=capture]");
  var video = box.querySelector("video");
  var status = box.querySelector(".liveness-status");
  var frameUrl = box.dataset.frameUrl;
  var nextUrl = box.dataset.nextUrl;
  var wanted = parseInt(box.dataset.minFrames, 10) + 1;
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;

  function say(cls) { status.textContent = box.querySelector(cls).textContent; }

  // No camera: open the upload instead, so nobody has to find it.
  function offerUpload() {
    var fallback = document.querySelector(".liveness-fallback");
    if (fallback) { fallback.open = true; }
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(".liveness-text-nocamera");
    offerUpload();
    return;
  }
  button.classList.remove("d-none");

  function grab(canvas) {
    canvas.width = video.videoWidth || 640;
    canvas.height = video.videoHeight || 480;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.9); });
  }

  function post(blob, n) {
    var data = new FormData();
    data.append("frame", blob, "frame" + n + ".jpg");
    return fetch(frameUrl, {method: "POST", body: data, credentials: "same-origin",
                            headers: {"X-CSRFToken": csrf}})
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw j; } return j; }); });
  }

  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.mediaDevices.getUserMedia({video: {facingMode: "user"}, audio: false})
      .then(function (stream) {
        video.srcObject = stream;
        video.classList.remove("d-none");
        say(".liveness-text-capturing");
        return video.play().then(function () { return wait(700); }).then(function () {
          var canvas = document.createElement("canvas");
          var chain = Promise.resolve();
          for (var i = 0; i < wanted; i++) {
            (function (n) {
              chain = chain.then(function () { return wait(600); })
                .then(function () { return grab(canvas); })
                .then(function (blob) { return post(blob, n); })
                .then(function (j) { status.textContent = j.frames + " ✓"; });
            })(i);
          }
          return chain;
        }).then(function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          say(".liveness-text-done");
          window.location.assign(nextUrl);
        });
      })
      .catch(function (err) {
        status.textContent = (err && err.error) ? err.error : box.querySelector(".liveness-text-nocamera").textContent;
        button.disabled = false;
        if (!(err && err.error)) { offerUpload(); }
      });
  });
})();
