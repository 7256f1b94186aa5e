// Pages that wait for a task (letters, the event record's PDF): the element marked data-progress asks for
// the page again every two seconds and swaps in its fresh content when it has changed (the element is
// role="status", so screen readers hear it), until data-waiting is no longer "true".
// Without JavaScript a "Check again" link does the same by hand. Nothing reloads the page on a timer,
// which would take people's place and focus away (WCAG 2.2.1).
(function () {
  "use strict";
  var region = document.querySelector("[data-progress]");
  if (!region || region.dataset.waiting !== "true") {
    return;
  }
  function check() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
        if (!fresh) {
          return;
        }
        if (fresh.innerHTML !== region.innerHTML) {
          region.innerHTML = fresh.innerHTML;
        }
        region.dataset.waiting = fresh.dataset.waiting;
        if (fresh.dataset.waiting === "true") {
          window.setTimeout(check, 2000);
        }
      })
      .catch(function () {
        window.setTimeout(check, 5000);
      });
  }
  window.setTimeout(check, 2000);
})();
