// A page that is meant for paper (the call list): its button marked data-print opens the browser's
// Print. The button is hidden until this runs, so without JavaScript nobody sees a button that does
// nothing; the page says how to print with the browser instead.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
