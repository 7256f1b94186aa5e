// The letter editor's check, as the words are typed: a short pause after the last key, then the words
// are posted to the check URL and the live region is updated with the reading-ease score and every
// worker-speak term found. The page works without this script: the same check is shown after saving or
// after "Check the words without saving". The messages come from the region's data attributes, so they
// are translated with the page.
(function () {
  "use strict";

  var PAUSE_MS = 400;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function paragraph(text, className) {
    var p = document.createElement("p");
    if (className) {
      p.className = className;
    }
    p.textContent = text;
    return p;
  }

  function show(region, result, text) {
    var texts = region.dataset;
    var nodes = [];
    if (result.too_long) {
      nodes.push(paragraph(texts.tooLong, "text-danger fw-semibold"));
    }
    if (!text.trim()) {
      nodes.push(paragraph(texts.empty));
    } else {
      var values = { score: Math.round(result.reading_ease), target: Math.round(result.target) };
      var score = paragraph(fill(result.meets_target ? texts.scoreGood : texts.scoreLow, values), "fw-semibold");
      score.id = "reading-ease";
      nodes.push(score);
    }
    if (result.terms.length) {
      nodes.push(paragraph(texts.terms, "mb-1"));
      var list = document.createElement("ul");
      list.id = "plainer-words";
      result.terms.forEach(function (found) {
        var item = document.createElement("li");
        item.textContent = fill(texts.instead, { term: found.term, plainer: found.plainer });
        list.appendChild(item);
      });
      nodes.push(list);
    } else {
      nodes.push(paragraph(texts.noTerms));
    }
    region.replaceChildren.apply(region, nodes);
  }

  function start() {
    var form = document.getElementById("wording-form");
    var region = document.getElementById("wording-check-result");
    if (!form || !region || !window.fetch) {
      return;
    }
    var box = form.querySelector("textarea[name=text]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var timer = null;
    var latest = 0;
    var shown = null;

    function check() {
      var text = box.value;
      var asked = ++latest;
      var body = new URLSearchParams();
      body.append("text", text);
      fetch(form.dataset.checkUrl, {
        method: "POST",
        headers: { "X-CSRFToken": token },
        body: body,
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (result) {
          // Only the answer to the latest words counts, and an unchanged answer is not announced again.
          var key = JSON.stringify(result) + (text.trim() ? "" : "empty");
          if (asked === latest && key !== shown) {
            shown = key;
            show(region, result, text);
          }
        })
        .catch(function () {
          if (asked === latest && shown !== "failed") {
            shown = "failed";
            region.replaceChildren(paragraph(region.dataset.failed));
          }
        });
    }

    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, PAUSE_MS);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
