// One word each. Progressive enhancement: both pages work as plain forms and links without this.
//
// The circle page (#word-form): Enter saves the word by fetch, the box clears at once and keeps the focus,
// the word joins the list, and a live region says "Saved ‘hopeful’." Typing "1 ", "2 " or "3 " first
// notes the speaker's group; the line under the box shows which.
//
// Words from phones (#word-queue-region on the circle page): the page is fetched again every few seconds
// and the queue swapped in when words have arrived or gone, so nobody has to reload; never while the
// focus is inside the queue (someone about to press "Show it").
//
// The room screen (#cloud-live): fetches the cloud and its table every few seconds, with a pause button.
//
// How often both ask is the region's data-poll-seconds (settings.WORDS_POLL_SECONDS), 5 if it is missing.
(function () {
  "use strict";

  function pollMilliseconds(region) {
    var seconds = parseFloat(region.dataset.pollSeconds);
    return (seconds > 0 ? seconds : 5) * 1000;
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(form, data) {
    return fetch(form.action || window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
    }).then(function (response) {
      return response.json().then(function (body) {
        return { ok: response.ok && body.ok, body: body };
      });
    });
  }

  function setupCircle(form) {
    var input = form.querySelector("input[name=word]");
    var error = document.getElementById("word-error");
    var status = document.getElementById("word-status");
    var tag = document.getElementById("word-tag");
    var list = document.getElementById("typed-words");
    var count = document.getElementById("typed-count");
    var empty = document.getElementById("no-typed");
    var groups = {};
    var untagged = tag.textContent;
    (form.dataset.groups || "").split("|").forEach(function (pair) {
      var parts = pair.split("=");
      if (parts.length === 2) groups[parts[0]] = parts[1];
    });
    var removeTemplate = list.querySelector(".remove-word");
    var removeLabel = removeTemplate ? removeTemplate.querySelector("button").firstChild.textContent : "Remove";

    function say(message) {
      // Clear first so that saying the same thing twice is still announced.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = message;
      }, 50);
    }

    function showError(message) {
      error.textContent = message;
      error.classList.toggle("d-block", Boolean(message));
      input.classList.toggle("is-invalid", Boolean(message));
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }

    function showTag() {
      var match = /^\s*([123])\s/.exec(input.value);
      tag.textContent = match && groups[match[1]] ? tag.dataset.prefix + " " + groups[match[1]] : untagged;
    }
    tag.dataset.prefix = untagged.split(":")[0] + ":";

    function addWord(word) {
      var item = document.createElement("li");
      item.className = "list-group-item d-flex justify-content-between align-items-center gap-2";
      item.dataset.id = word.id;
      var text = document.createElement("span");
      text.className = "me-auto";
      var said = document.createElement("span");
      said.className = "fw-semibold";
      said.textContent = word.said;
      text.appendChild(said);
      if (word.group) {
        var group = document.createElement("span");
        group.className = "small text-body-secondary";
        group.textContent = " · " + word.group;
        text.appendChild(document.createTextNode(" "));
        text.appendChild(group);
      }
      var remove = document.createElement("form");
      remove.method = "post";
      remove.action = word.remove_url;
      remove.className = "remove-word";
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrfmiddlewaretoken";
      token.value = csrfToken(form);
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "btn btn-sm btn-outline-danger";
      button.textContent = removeLabel;
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " ‘" + word.said + "’";
      button.appendChild(hidden);
      remove.appendChild(token);
      remove.appendChild(button);
      item.appendChild(text);
      item.appendChild(remove);
      list.insertBefore(item, list.firstChild);
      count.textContent = list.children.length;
      if (empty) empty.hidden = true;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = input.value;
      var data = new FormData(form);
      // Clear at once so the next person's word can be typed while this one saves.
      input.value = "";
      showTag();
      input.focus();
      post(form, data)
        .then(function (result) {
          if (result.ok) {
            showError("");
            addWord(result.body.word);
            say(result.body.message);
          } else {
            if (!input.value) input.value = value;
            showError(result.body.error || "");
            say(result.body.error || "");
          }
        })
        .catch(function () {
          if (!input.value) input.value = value;
          var message = form.dataset.offline || "That did not save. Please press Enter again.";
          showError(message);
          say(message);
        });
    });

    input.addEventListener("input", function () {
      showTag();
      if (error.textContent && input.value) showError("");
    });

    list.addEventListener("submit", function (event) {
      var remove = event.target.closest(".remove-word");
      if (!remove) return;
      event.preventDefault();
      post(remove, new FormData(remove)).then(function (result) {
        if (result.ok) {
          var item = remove.closest("li");
          item.parentNode.removeChild(item);
          count.textContent = list.children.length;
          say(result.body.message);
          input.focus();
        }
      });
    });
  }

  function setupCloud(live) {
    var url = live.dataset.url;
    var pause = document.getElementById("cloud-pause");
    var status = document.getElementById("cloud-status");
    var paused = false;
    var every = pollMilliseconds(live);
    var last = live.innerHTML;
    pause.hidden = false;

    function total() {
      var box = live.querySelector("[data-total]");
      return box ? box.dataset.total : "";
    }

    function refresh() {
      if (paused || document.hidden) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (!html || html === last) return;
          var before = total();
          last = html;
          live.innerHTML = html;
          var after = total();
          if (after !== before) {
            var count = live.querySelector("[data-total] p");
            status.textContent = count ? count.textContent : "";
          }
        })
        .catch(function () {});
    }

    var timer = window.setInterval(refresh, every);
    pause.addEventListener("click", function () {
      paused = !paused;
      // A toggle button: the same label, pressed or not.
      pause.setAttribute("aria-pressed", paused ? "true" : "false");
      pause.classList.toggle("active", paused);
      if (!paused) refresh();
    });
    window.addEventListener("pagehide", function () {
      window.clearInterval(timer);
    });
  }

  function setupQueue(region) {
    var status = document.getElementById("queue-status");

    function waiting(root) {
      return Array.prototype.map
        .call(root.querySelectorAll("input[name=word]"), function (input) {
          return input.value;
        })
        .join(",");
    }

    function refresh() {
      if (document.hidden || region.contains(document.activeElement)) return;
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (!fresh || waiting(fresh) === waiting(region) || region.contains(document.activeElement)) return;
          var before = region.querySelectorAll("input[name=word]").length;
          region.innerHTML = fresh.innerHTML;
          var after = region.querySelectorAll("input[name=word]").length;
          if (after > before) {
            var heading = region.querySelector("h2");
            status.textContent = heading ? heading.textContent : "";
          }
        })
        .catch(function () {});
    }

    var timer = window.setInterval(refresh, pollMilliseconds(region));
    window.addEventListener("pagehide", function () {
      window.clearInterval(timer);
    });
  }

  var form = document.getElementById("word-form");
  if (form) setupCircle(form);
  var queue = document.getElementById("word-queue-region");
  if (queue) setupQueue(queue);
  var live = document.getElementById("cloud-live");
  if (live) setupCloud(live);
})();
