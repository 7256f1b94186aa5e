// The picture viewer and theme suggestions. Without JavaScript every thumbnail is a plain link to the
// picture's own page, and the suggested themes are plain text.
(function () {
  "use strict";

  function setUpViewer() {
    var dialog = document.getElementById("viewer");
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    var links = Array.prototype.slice.call(document.querySelectorAll("a[data-viewer-src]"));
    if (!links.length) {
      return;
    }
    var image = document.getElementById("viewer-image");
    var title = document.getElementById("viewer-title");
    var caption = document.getElementById("viewer-caption");
    var position = document.getElementById("viewer-position");
    var pageLink = document.getElementById("viewer-link");
    var previous = dialog.querySelector("[data-viewer-previous]");
    var next = dialog.querySelector("[data-viewer-next]");
    var close = dialog.querySelector("[data-viewer-close]");
    var positionText = dialog.getAttribute("data-position-text") || "NUMBER / TOTAL";
    var current = 0;

    function show(index) {
      if (index < 0 || index >= links.length) {
        return;
      }
      current = index;
      var link = links[index];
      image.src = link.getAttribute("data-viewer-src");
      image.alt = link.getAttribute("data-viewer-caption") || "";
      title.textContent = link.getAttribute("data-viewer-title") || "";
      caption.textContent = link.getAttribute("data-viewer-caption") || "";
      position.textContent = positionText
        .replace("NUMBER", String(index + 1))
        .replace("TOTAL", String(links.length));
      pageLink.href = link.getAttribute("href");
      var atStart = index === 0;
      var atEnd = index === links.length - 1;
      // A disabled button cannot keep the focus: move it to one that still works.
      if ((atStart && document.activeElement === previous) || (atEnd && document.activeElement === next)) {
        (atStart ? (atEnd ? close : next) : previous).focus();
      }
      previous.disabled = atStart;
      next.disabled = atEnd;
    }

    links.forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        // Let people open the picture's page in a new tab as usual.
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
          return;
        }
        event.preventDefault();
        show(index);
        dialog.showModal();
        close.focus();
      });
    });

    previous.addEventListener("click", function () {
      show(current - 1);
    });
    next.addEventListener("click", function () {
      show(current + 1);
    });
    close.addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") {
        event.preventDefault();
        show(current - 1);
      } else if (event.key === "ArrowRight") {
        event.preventDefault();
        show(current + 1);
      }
    });
    // A click on the dark backdrop around the picture closes it too.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) {
        dialog.close();
      }
    });
    // Escape closes a <dialog> by itself; either way, focus goes back to the thumbnail of the picture
    // shown last, so people carry on from where they are.
    dialog.addEventListener("close", function () {
      image.removeAttribute("src");
      links[current].focus();
    });
  }

  function setUpThemeSuggestions() {
    var box = document.getElementById("theme-suggestions");
    if (!box) {
      return;
    }
    var input = document.getElementById(box.getAttribute("data-themes-input"));
    var list = box.querySelector("ul");
    var text = box.querySelector(".theme-suggestion-list");
    if (!input || !list) {
      return;
    }
    list.hidden = false;
    if (text) {
      text.hidden = true;
    }
    function keyOf(name) {
      return name.trim().replace(/\s+/g, " ").toLowerCase();
    }
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-theme]");
      if (!button) {
        return;
      }
      var theme = button.getAttribute("data-theme");
      var parts = input.value
        .split(",")
        .map(function (part) {
          return part.trim();
        })
        .filter(Boolean);
      var have = parts.map(keyOf);
      if (have.indexOf(keyOf(theme)) === -1) {
        parts.push(theme);
      }
      input.value = parts.join(", ");
      input.focus();
    });
  }

  setUpViewer();
  setUpThemeSuggestions();
})();
