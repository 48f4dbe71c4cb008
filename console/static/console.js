// The rule editor (an inbox item's, a scope's on the Rules pages): tests
// the rule as it is typed (the page's Test button does the same without
// script) and puts a clicked field's path into the expression being
// edited. No library: a fetch and a timer.
(function () {
  "use strict";
  var form = document.querySelector("form[data-test]");
  var out = document.getElementById("test-result");
  if (!form || !out) { return; }
  var last = document.getElementById("rule-value") || form.querySelector(".expr");
  var timer = null, seq = 0;

  function test() {
    var mine = ++seq;
    fetch(form.dataset.test, {
      method: "POST", credentials: "same-origin",
      headers: { "X-Console-Fragment": "test" },
      body: new URLSearchParams(new FormData(form))
    }).then(function (r) {
      // A refused test (an inbox item not found) is a fragment too; an
      // error of the console itself (a CSRF refusal) is not, and is left.
      var html = (r.headers.get("Content-Type") || "").indexOf("text/html") === 0;
      return html ? r.text() : Promise.reject(r.status);
    }).then(function (html) { if (mine === seq) { out.innerHTML = html; } })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(test, 250); }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  Array.prototype.forEach.call(form.querySelectorAll(".expr"), function (el) {
    el.addEventListener("focus", function () { last = el; });
  });
  // Delegated: a test's answer can bring a new payload's fields.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button.path");
    if (!b || !last) { return; }
    var el = last, text = b.dataset.path;
    var start = el.selectionStart || 0, end = el.selectionEnd || 0;
    el.value = el.value.slice(0, start) + text + el.value.slice(end);
    el.focus();
    el.setSelectionRange(start + text.length, start + text.length);
    later();
  });
}());
