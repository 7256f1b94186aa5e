// The sign-in page on a tablet. Two things, both optional: the page works without this script.
//
// 1. "Find a name" filters the list as you type (every word typed must be in the name, in any order,
//    ignoring case); without the script the same search is a GET ?q= done by the server.
// 2. Tapping "Mark as arrived" or "Undo" posts in the background and redraws that person's row and the
//    counts in place, announcing "Amina Yusuf is signed in." in the live region. Once someone is signed
//    in, the search box is emptied and focused for the next name (an undo keeps the search, to tap the
//    right person). Without the script the form posts and the page comes back the same way: the whole
//    list and an empty box after a sign-in, the search kept after an undo.
(function () {
  "use strict";

  function words(text) {
    return text.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  }

  function filter(query) {
    var wanted = words(query);
    var shown = 0;
    document.querySelectorAll(".signin-person").forEach(function (item) {
      var name = item.dataset.name || "";
      var match = wanted.every(function (word) {
        return name.indexOf(word) !== -1;
      });
      item.hidden = !match;
      if (match && item.closest("#signin-people")) {
        shown += 1;
      }
    });
    var none = document.getElementById("signin-none");
    if (none) {
      none.hidden = shown > 0;
    }
  }

  function say(text) {
    var status = document.getElementById("signin-status");
    if (!status) {
      return;
    }
    // Emptied first, so that the same words said twice are announced twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  function fromHTML(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  function send(form) {
    var button = form.querySelector("button");
    var item = form.closest(".signin-person");
    if (button) {
      button.disabled = true;
    }
    fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (answer) {
        var data = answer.data;
        var nextPerson = answer.ok && form.hasAttribute("data-next-person");
        if (data.row) {
          var fresh = fromHTML(data.row).firstElementChild;
          fresh.hidden = item.hidden;
          item.replaceWith(fresh);
          var focus = fresh.querySelector("button");
          if (focus && !nextPerson) {
            focus.focus();
          }
          bind(fresh);
        }
        if (data.counts) {
          document.getElementById("signin-counts").replaceChildren(fromHTML(data.counts));
        }
        if (nextPerson) {
          nextName();
        }
        say(data.message);
      })
      .catch(function () {
        // Something went wrong on the way: post the ordinary way, and let the page say what happened.
        form.submit();
      });
  }

  function nextName() {
    // Ready for the next person: the whole list again, and the cursor in an empty box.
    var box = document.getElementById("signin-q");
    if (box) {
      box.value = "";
      filter("");
      box.focus();
    }
  }

  function bind(root) {
    root.querySelectorAll("form.js-signin").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        send(form);
      });
    });
  }

  function start() {
    var search = document.getElementById("signin-search");
    var box = document.getElementById("signin-q");
    if (!search || !box || !window.fetch) {
      return;
    }
    box.addEventListener("input", function () {
      filter(box.value);
    });
    search.addEventListener("submit", function (event) {
      // The list is already filtered as typed: no need to load the page again.
      event.preventDefault();
      filter(box.value);
    });
    bind(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
