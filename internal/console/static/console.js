// deploytrail console: the only script. It refreshes live sections (a
// deployment's progress) from the server's HTML fragments without a page
// reload, and stops when the fragment says it is done.
"use strict";
(function () {
  function refresh(section) {
    var url = section.getAttribute("data-live");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        section.innerHTML = html;
        if (!section.querySelector("[data-done]")) { setTimeout(function () { refresh(section); }, 2000); }
      })
      .catch(function () { setTimeout(function () { refresh(section); }, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(function (s) {
      if (!s.querySelector("[data-done]")) { setTimeout(function () { refresh(s); }, 2000); }
    });
  });
})();
