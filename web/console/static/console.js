// The console works without JavaScript; this only keeps a print job's progress bar moving
// (without it, the page refreshes itself every few seconds).
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var status = box.getAttribute("data-status");
  if (status !== "queued" && status !== "running") return;
  var url = box.getAttribute("data-poll");
  var bar = document.getElementById("bar");
  var count = document.getElementById("count");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
        bar.max = job.total || 1;
        bar.value = job.done;
        count.textContent = job.done + " / " + job.total;
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
