/* The scan page's progressive enhancement: photo previews, early checks in Chinese, no double
   submissions, copying the tracking link. Every form also works with this file missing. */
(function () {
  "use strict";
  var IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];

  function showError(form, input, message) {
    var box = form.querySelector('[data-error-for="' + input.id + '"]');
    var field = input.closest(".field");
    if (box) { box.textContent = message || ""; box.hidden = !message; }
    if (field) { field.classList.toggle("has-error", !!message); }
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }

  function checkPhotos(input) {
    var max = parseInt(input.dataset.max, 10) || 9;
    var kept = input.form.querySelectorAll('input[name="kept_photo"]:checked').length;
    var maxBytes = parseInt(input.dataset.maxBytes, 10) || 0;
    var files = Array.prototype.slice.call(input.files || []);
    if (files.length + kept > max) { return "最多上传 " + max + " 张照片，请少选几张"; }
    for (var i = 0; i < files.length; i++) {
      var f = files[i];
      if (f.type && IMAGE_TYPES.indexOf(f.type) < 0 && f.type.indexOf("image/") !== 0) {
        return "“" + f.name + "”不是图片，只支持 JPG、PNG、WebP 格式";
      }
      if (maxBytes && f.size > maxBytes) {
        return "“" + f.name + "”太大，每张不能超过 " + Math.floor(maxBytes / 1048576) + " MB";
      }
    }
    return "";
  }

  function checkPhone(input) {
    var v = input.value.replace(/[\s-]/g, "");
    if (!v) { return ""; }
    return /^(1[3-9]\d{9}|0\d{2,3}\d{7,8})$/.test(v) ? "" : "请填写正确的手机号（11 位）或固定电话";
  }

  function preview(input) {
    var box = input.closest(".field").querySelector("[data-previews]");
    if (!box || !window.URL || !URL.createObjectURL) { return; }
    box.textContent = "";
    Array.prototype.forEach.call(input.files || [], function (f) {
      if (f.type.indexOf("image/") !== 0) { return; }
      var img = document.createElement("img");
      img.alt = "待上传的照片";
      img.src = URL.createObjectURL(f);
      box.appendChild(img);
    });
  }

  function validate(form) {
    var first = null;
    form.querySelectorAll("[data-required]").forEach(function (el) {
      var msg = el.value.trim() ? "" : el.dataset.required;
      showError(form, el, msg);
      if (msg && !first) { first = el; }
    });
    form.querySelectorAll("[data-photos]").forEach(function (el) {
      var msg = checkPhotos(el);
      showError(form, el, msg);
      if (msg && !first) { first = el; }
    });
    form.querySelectorAll("[data-phone]").forEach(function (el) {
      var msg = checkPhone(el);
      showError(form, el, msg);
      if (msg && !first) { first = el; }
    });
    return first;
  }

  // What the field's own rule says now ("" = fine). Fields the browser cannot check (the
  // server's verdict on a rating or a reason) count as fixed once something is entered.
  function recheck(input) {
    if (input.matches("[data-photos]")) { return checkPhotos(input); }
    if (input.matches("[data-phone]")) { return checkPhone(input); }
    if (input.matches("[data-required]")) { return input.value.trim() ? "" : input.dataset.required; }
    if (input.type === "radio") { return ""; }
    return input.value.trim() ? "" : null;  // null: leave the server's message as it is
  }

  // An error disappears as soon as the field is put right, not only on the next submit.
  function clearWhenFixed(form) {
    var onEdit = function (event) {
      var input = event.target;
      if (!input.name) { return; }
      var field = input.closest(".field");
      if (!field || !field.classList.contains("has-error")) { return; }
      var message = recheck(input);
      if (message === "") {
        var box = field.querySelector(".field-error");
        if (box) { box.textContent = ""; box.hidden = true; }
        field.classList.remove("has-error");
        field.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
      }
    };
    form.addEventListener("input", onEdit);
    form.addEventListener("change", onEdit);
  }

  document.querySelectorAll("form.form").forEach(clearWhenFixed);

  document.querySelectorAll("form[data-scan-form]").forEach(function (form) {
    form.querySelectorAll("[data-photos]").forEach(function (input) {
      input.addEventListener("change", function () {
        preview(input);
        showError(form, input, checkPhotos(input));
        var chosen = input.closest(".field").querySelector("[data-chosen]");
        var n = (input.files || []).length;
        if (chosen) { chosen.textContent = n ? "已选 " + n + " 张照片" : ""; }
      });
    });
    form.addEventListener("submit", function (event) {
      var first = validate(form);
      if (first) {
        event.preventDefault();
        first.focus();
        return;
      }
      var button = form.querySelector('button[type="submit"]');
      if (button) {
        button.dataset.label = button.textContent;
        button.disabled = true;
        button.textContent = button.dataset.busy || "正在提交…";
      }
    });
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.dataset.copy;
      var done = function () { button.textContent = "已复制"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var box = document.querySelector(".link-box");
        if (box) { box.select(); try { document.execCommand("copy"); done(); } catch (e) {} }
      }
    });
  });

  // The "just submitted" banner belongs to this visit only, not to the bookmarked link.
  if (window.history && history.replaceState && /[?&]new=1/.test(location.search)) {
    history.replaceState(null, "", location.pathname + location.hash);
  }
})();

// Coming back with the browser's back button must not leave a form stuck on "正在提交…".
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-scan-form] button[type=submit][disabled]").forEach(function (b) {
    b.disabled = false;
    b.textContent = b.dataset.label || b.textContent;
  });
});
