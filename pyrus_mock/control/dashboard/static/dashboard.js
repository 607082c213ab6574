// pyrus-mock dashboard: refresh the live region every second, and run the buttons.
// Calls that change state carry X-Pyrus-Mock-UI: 1 (see pyrus_mock/control/dashboard/auth.py).
(function () {
  "use strict";
  var live = document.getElementById("live");
  var statusBox = document.getElementById("status");
  var last = live ? live.innerHTML : "";
  var busy = false;

  function say(text, bad) {
    statusBox.textContent = text;
    statusBox.className = bad ? "bad" : "good";
  }

  function refresh() {
    if (!live || busy) { return Promise.resolve(); }
    busy = true;
    return fetch(live.dataset.src, { credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) {
          window.location.href = "/_mock/ui/login";
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== last) {
          var open = Array.prototype.map.call(
            live.querySelectorAll("details[open]"), function (d) { return d.id; });
          live.innerHTML = html;
          last = html;
          open.forEach(function (id) {
            var d = id && document.getElementById(id);
            if (d) { d.open = true; }
          });
        }
        live.dataset.refreshed = String(Date.now());
      })
      .catch(function () { /* the fake stopped; keep the last view */ })
      .then(function () { busy = false; });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Pyrus-Mock-UI": "1" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || response.statusText); }
        return data;
      });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-post]");
    if (!button) { return; }
    event.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) { return; }
    post(button.dataset.post)
      .then(function () { say("Done: " + button.textContent.trim()); return refresh(); })
      .catch(function (error) { say(error.message, true); });
  });

  var advance = document.getElementById("advance");
  if (advance) {
    advance.addEventListener("submit", function (event) {
      event.preventDefault();
      var seconds = Number(document.getElementById("advance-seconds").value);
      post("/_mock/clock/advance", { seconds: seconds })
        .then(function (data) {
          say("Clock advanced " + seconds + " s: " + data.attempts_made + " attempt(s) made");
          return refresh();
        })
        .catch(function (error) { say(error.message, true); });
    });
  }

  window.setInterval(refresh, 1000);
})();
