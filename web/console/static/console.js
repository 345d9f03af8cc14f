// The console works without JavaScript; this file only adds to it. The Content-Security-Policy
// (web/headers.py) allows no inline script, so behaviour that would sit in an onsubmit= or
// onchange= attribute is bound here, by data attributes:
//   form[data-confirm]            asks the question before the form is sent
//   select[data-autosubmit]       sends its form when another option is picked
//   input[data-check-all="NAME"]  ticks or clears every checkbox named NAME
//   select[data-fill="ID"]        puts the chosen option's data-text into the textarea #ID
//                                 (and picks its data-outcome in the form's outcome select)
//   [maxlength] text fields       (not search boxes) show "已输入 12 / 500 字" under them; the browser's own cut at
//                                 the limit (a long paste silently shortened) is lifted, so text
//                                 over it stays as typed, is counted in red, and the server
//                                 refuses it with a message saying so
//   input[data-suggest="KIND"]    suggests people as one types a name or phone (a datalist
//                                 filled from /console/search/people.json): "steward" for
//                                 stewards only, "steward-id" for a steward's number (a
//                                 filter), "passbook" for the passbook look-up (the picked
//                                 value is steward:ID or volunteer:ID), "person" for all
//   input[type=file][data-max-bytes]  refuses, before the form is sent, too many files
//                                 (data-max-files), one file over data-max-bytes or all of them
//                                 over data-max-total (the request limit: over it the server
//                                 drops the form unread, and what was typed with it)
//   button.menu-toggle            opens and closes the side menu on a narrow screen
// and a print job's progress bar keeps moving (without this file, the page refreshes itself
// every few seconds).
(function () {
  "use strict";
  // Narrow screens fold the side menu behind a button only when this file runs (without it
  // the menu stays open above the page).
  document.documentElement.classList.add("js");

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit(); }
    });
  });

  document.querySelectorAll("input[data-check-all]").forEach(function (box) {
    var name = box.getAttribute("data-check-all");
    box.addEventListener("click", function () {
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
        b.checked = box.checked;
      });
    });
  });

  document.querySelectorAll("select[data-fill]").forEach(function (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var target = document.getElementById(select.getAttribute("data-fill"));
      if (!option || !target || !option.getAttribute("data-text")) return;
      target.value = option.getAttribute("data-text");
      var outcome = option.getAttribute("data-outcome");
      var choose = select.form && select.form.querySelector("select[name=outcome]");
      if (outcome && choose && !choose.value) { choose.value = outcome; }
    });
  });

  document.querySelectorAll("textarea[maxlength], input[maxlength]").forEach(function (field) {
    var type = (field.getAttribute("type") || "text").toLowerCase();
    // a search box is not text one writes: a counter there is noise, its limit a cut-off
    if (field.tagName === "INPUT" && ["text", ""].indexOf(type) < 0) return;
    var limit = parseInt(field.getAttribute("maxlength"), 10);
    if (!(limit > 0)) return;
    field.removeAttribute("maxlength");
    field.setAttribute("data-limit", String(limit));
    var counter = document.createElement("small");
    counter.className = "counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    function update() {
      var used = Array.from(field.value).length; // characters as the server counts them
      var over = used - limit;
      counter.textContent = over > 0
        ? "已输入 " + used + " / " + limit + " 字，超出 " + over + " 字，请删减"
        : "已输入 " + used + " / " + limit + " 字";
      counter.classList.toggle("over", over > 0);
    }
    field.addEventListener("input", update);
    update();
  });

  var suggestUrl = document.documentElement.getAttribute("data-suggest-url");
  document.querySelectorAll("input[data-suggest]").forEach(function (input, n) {
    if (!suggestUrl) return;
    var kind = input.getAttribute("data-suggest");
    var list = document.createElement("datalist");
    list.id = "suggest-" + n;
    input.parentNode.appendChild(list);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        // one Chinese character names someone; one Latin letter or digit does not
        if (!q || q === asked || (q.length < 2 && /^[\x00-\x7f]$/.test(q)) || q.indexOf(":") > 0) return;
        if (kind === "steward-id" && /^\d+$/.test(q)) return;  // a number picked already
        asked = q;
        var url = suggestUrl + "?q=" + encodeURIComponent(q) +
          (kind === "steward" || kind === "steward-id" ? "&kind=steward" : "") +
          (kind === "passbook" ? "&for=passbook" : "") + (kind === "steward-id" ? "&for=id" : "");
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (rows) {
            if (input.value.trim() !== q) return;
            list.textContent = "";
            rows.forEach(function (row) {
              var option = document.createElement("option");
              option.value = row.value;
              option.label = row.name + (row.detail ? " · " + row.detail : "");
              option.textContent = option.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* the field works without suggestions */ });
      }, 200);
    });
  });

  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var mb = function (n) { return Math.floor(n / 1048576) + " MB"; };
    function check() {
      var files = Array.from(input.files || []);
      var maxFiles = parseInt(input.getAttribute("data-max-files"), 10) || 0;
      var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
      var maxTotal = parseInt(input.getAttribute("data-max-total"), 10) || 0;
      var big = files.filter(function (f) { return maxBytes && f.size > maxBytes; });
      var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
      var message = "";
      if (maxFiles && files.length > maxFiles) {
        message = "照片：最多 " + maxFiles + " 张，请少选几张";
      } else if (big.length) {
        message = "照片：" + big[0].name + " 超过 " + mb(maxBytes) + "，请缩小后再上传";
      } else if (maxTotal && total > maxTotal) {
        message = "照片：合计超过 " + mb(maxTotal) + "，请少选几张或缩小后再上传";
      }
      input.setCustomValidity(message);
      if (message) input.reportValidity();
    }
    input.addEventListener("change", check);
  });

  var toggle = document.querySelector("button.menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  var job = document.getElementById("job");
  if (!job) return;
  var status = job.getAttribute("data-status");
  if (status !== "queued" && status !== "running") return;
  var url = job.getAttribute("data-poll");
  var bar = document.getElementById("bar");
  var count = document.getElementById("count");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.status === "done" || state.status === "failed") { window.location.reload(); return; }
        bar.max = state.total || 1;
        bar.value = state.done;
        count.textContent = state.done + " / " + state.total;
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
