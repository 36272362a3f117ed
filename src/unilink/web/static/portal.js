// unilink portal: the one script. Pages work without it; with it, the history page follows the
// server-sent-events stream and reloads itself when a change lands (the session cookie authenticates it).
"use strict";
(function () {
  const live = document.querySelector("[data-live]");
  if (!live || !window.EventSource) return;
  const status = document.getElementById("live-status");
  live.hidden = false;
  const source = new EventSource(live.dataset.live);
  const refresh = function () {
    if (status) status.textContent = "A change was applied: refreshing…";
    source.close();
    window.location.reload();
  };
  ["change.applied", "change.reverted", "order.stateChanged"].forEach(function (type) {
    source.addEventListener(type, refresh);
  });
  source.onerror = function () {
    if (status) status.textContent = "Live updates paused (reconnecting)…";
  };
  source.onopen = function () {
    if (status) status.textContent = "Live: this page refreshes when a change is applied.";
  };
})();
