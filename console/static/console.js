// The inbox item's rule editor: tests the rule as it is typed (the page's
// Test button does the same without script) and puts a clicked field's
// path into the expression being edited. No library: a fetch and a timer.
(function () {
  "use strict";
  var form = document.getElementById("assign");
  var out = document.getElementById("test-result");
  if (!form || !out) { return; }
  var last = document.getElementById("rule-value");
  var timer = null, seq = 0;

  function test() {
    var mine = ++seq;
    fetch(form.dataset.test, {
      method: "POST", credentials: "same-origin",
      headers: { "X-Console-Fragment": "test" },
      body: new URLSearchParams(new FormData(form))
    }).then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { if (mine === seq) { out.innerHTML = html; } })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(test, 250); }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  Array.prototype.forEach.call(form.querySelectorAll(".expr"), function (el) {
    el.addEventListener("focus", function () { last = el; });
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.path"), function (b) {
    b.addEventListener("click", function () {
      var el = last, text = b.dataset.path;
      var start = el.selectionStart || 0, end = el.selectionEnd || 0;
      el.value = el.value.slice(0, start) + text + el.value.slice(end);
      el.focus();
      el.setSelectionRange(start + text.length, start + text.length);
      later();
    });
  });
}());
