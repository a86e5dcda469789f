// The live preview of the email template form (progressive enhancement: without this script
// the Preview button renders it on the server). On input, after a pause, the form is posted to
// the preview address; its answer (a preview section built and escaped by the server) replaces
// the page's. Answers arriving out of order are dropped.
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  var area = document.getElementById("preview-area");
  if (!form || !area || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var url = form.getAttribute("data-preview");
  var timer = null;
  var latest = 0;
  function refresh() {
    var mine = ++latest;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)).toString()
    })
      .then(function (response) {
        // A redirect is the sign-in page (the session ended): keep the preview as it is.
        if (response.redirected || (response.status !== 200 && response.status !== 422)) {
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null && mine === latest) {
          area.innerHTML = html;
          area.setAttribute("data-updated", String(mine));
        }
      })
      .catch(function () {});
  }
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
})();
