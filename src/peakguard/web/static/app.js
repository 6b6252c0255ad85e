// PeakGuard pages: live countdowns to incident deadlines (S3.4) that follow the server's clock
// (a drill or the demo may run it faster than real time), and the scanner's focus.
(function () {
  "use strict";
  var anchor = null; // {server: ms, wall: ms, speed: server ms per wall ms}

  function readClock() {
    var el = document.querySelector("[data-now]");
    if (!el) return;
    var server = Date.parse(el.getAttribute("data-now"));
    var wall = Date.now();
    var speed = parseFloat(el.getAttribute("data-speed") || "1");
    if (anchor && wall - anchor.wall > 1000) {
      // Measure the pace from two server readings: right even when the setting is not.
      speed = Math.max(0, (server - anchor.server) / (wall - anchor.wall));
    }
    anchor = { server: server, wall: wall, speed: speed };
  }

  function serverNow() {
    if (!anchor) return Date.now();
    return anchor.server + (Date.now() - anchor.wall) * anchor.speed;
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function format(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (ms < 0 ? "-" : "") + h + ":" + pad(m) + ":" + pad(s % 60);
  }

  function tick() {
    var now = serverNow();
    var items = document.querySelectorAll(".countdown[data-deadline]");
    for (var i = 0; i < items.length; i++) {
      var left = Date.parse(items[i].getAttribute("data-deadline")) - now;
      items[i].textContent = format(left);
      items[i].classList.toggle("late", left < 0);
      items[i].classList.toggle("soon", left >= 0 && left < 5 * 60 * 1000);
    }
  }

  function focusScanner() {
    var input = document.querySelector("input[data-scan]");
    if (input) { input.value = ""; input.focus(); }
  }

  // Quick replies (S1.2, S1.4, S1.5): one click puts the text on the clipboard for the chat tool.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    document.body.removeChild(area);
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    copyText(source ? source.textContent : "").then(function () {
      button.textContent = button.getAttribute("data-copied");
      button.classList.add("copied");
    });
  });

  document.addEventListener("DOMContentLoaded", function () { readClock(); tick(); focusScanner(); });
  document.addEventListener("htmx:afterSwap", function () { readClock(); tick(); focusScanner(); });
  setInterval(tick, 250);
})();
