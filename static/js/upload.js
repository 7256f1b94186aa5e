// The upload page, enhanced: each chosen, photographed or dropped file is sent as soon as it is chosen,
// one request per file, with its own progress bar. A network error or a server error (5xx) is retried
// after 1, 2 and 4 seconds; a refusal (4xx) is shown, never retried. Every file carries a random
// upload_key, so a retry whose first answer was lost never saves a second picture. Without this script
// the same form posts all the files at once and the page lists what happened to each.
(function () {
  "use strict";

  var RETRY_DELAYS_MS = [1000, 2000, 4000];

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function sizeText(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function start() {
    var form = document.getElementById("upload-form");
    if (!form || !window.XMLHttpRequest || !window.FormData) {
      return;
    }
    var texts = form.dataset;
    var url = texts.uploadUrl;
    var maxBytes = parseInt(texts.maxBytes, 10);
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var artist = form.querySelector("select[name=artist]");
    var inputs = form.querySelectorAll("input[type=file]");
    var dropZone = document.getElementById("drop-zone");
    var section = document.getElementById("upload-progress");
    var list = document.getElementById("upload-list");
    var summary = document.getElementById("upload-summary");
    var next = document.getElementById("upload-next");
    var announcer = document.getElementById("upload-announcer");
    var queue = [];
    var busy = false;
    var counts = { saved: 0, refused: 0 };
    var serial = 0;

    // With the script, choosing files sends them at once: the button is not needed.
    document.getElementById("upload-submit").hidden = true;
    dropZone.hidden = false;

    function announce(text) {
      // Replacing the text makes screen readers read it even when it repeats.
      announcer.textContent = "";
      window.setTimeout(function () {
        announcer.textContent = text;
      }, 50);
    }

    function row(file) {
      serial += 1;
      var item = document.createElement("li");
      item.className = "border rounded p-2 mb-2";
      var label = document.createElement("p");
      label.className = "mb-1 text-break";
      label.id = "upload-item-" + serial;
      label.textContent = fill(texts.textWaiting, { name: file.name });
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.className = "w-100";
      bar.setAttribute("aria-label", fill(texts.textProgress, { name: file.name }));
      item.appendChild(label);
      item.appendChild(bar);
      list.appendChild(item);
      return { file: file, key: newKey(), item: item, label: label, bar: bar, attempt: 0 };
    }

    function finish(job, ok, text) {
      job.label.textContent = text;
      job.item.classList.add(ok ? "border-success" : "border-danger");
      job.label.classList.add(ok ? "text-success-emphasis" : "text-danger-emphasis");
      if (ok) {
        job.bar.value = 100;
        counts.saved += 1;
      } else {
        job.bar.remove();
        counts.refused += 1;
      }
      announce(text);
      busy = false;
      pump();
    }

    function retryOrGiveUp(job) {
      if (job.attempt > RETRY_DELAYS_MS.length) {
        finish(job, false, fill(texts.textGaveUp, { name: job.file.name }));
        return;
      }
      var delay = RETRY_DELAYS_MS[job.attempt - 1];
      job.label.textContent = fill(texts.textRetrying, {
        name: job.file.name,
        seconds: delay / 1000,
        attempt: job.attempt + 1,
        tries: RETRY_DELAYS_MS.length + 1,
      });
      job.bar.value = 0;
      window.setTimeout(function () {
        send(job);
      }, delay);
    }

    function send(job) {
      job.attempt += 1;
      job.label.textContent = fill(texts.textSending, { name: job.file.name });
      var data = new FormData();
      data.append("image", job.file, job.file.name);
      data.append("upload_key", job.key);
      if (artist) {
        data.append("artist", artist.value);
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          job.bar.value = Math.round((event.loaded / event.total) * 95);
        }
      });
      xhr.addEventListener("load", function () {
        var answer = null;
        try {
          answer = JSON.parse(xhr.responseText);
        } catch (error) {
          answer = null;
        }
        if (xhr.status >= 200 && xhr.status < 300 && answer && answer.ok) {
          finish(job, true, answer.message || fill(texts.textSaved, { name: job.file.name }));
        } else if (xhr.status >= 500) {
          retryOrGiveUp(job);
        } else {
          finish(job, false, (answer && answer.message) || fill(texts.textRefused, { name: job.file.name }));
        }
      });
      xhr.addEventListener("error", function () {
        retryOrGiveUp(job);
      });
      xhr.addEventListener("timeout", function () {
        retryOrGiveUp(job);
      });
      xhr.send(data);
    }

    function pump() {
      if (busy) {
        return;
      }
      var job = queue.shift();
      if (!job) {
        summary.textContent = fill(texts.textDone, counts);
        summary.hidden = false;
        next.hidden = counts.saved === 0;
        announce(summary.textContent);
        return;
      }
      busy = true;
      if (job.file.size > maxBytes) {
        finish(job, false, fill(texts.textTooBig, { name: job.file.name, size: sizeText(job.file.size) }));
        return;
      }
      send(job);
    }

    function add(files) {
      if (!files || !files.length) {
        return;
      }
      section.hidden = false;
      summary.hidden = true;
      next.hidden = true;
      Array.prototype.forEach.call(files, function (file) {
        queue.push(row(file));
      });
      pump();
    }

    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener("change", function () {
        add(input.files);
        input.value = "";
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    ["dragenter", "dragover"].forEach(function (name) {
      dropZone.addEventListener(name, function (event) {
        event.preventDefault();
        dropZone.classList.add("bg-primary-subtle");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      dropZone.addEventListener(name, function (event) {
        event.preventDefault();
        dropZone.classList.remove("bg-primary-subtle");
      });
    });
    dropZone.addEventListener("drop", function (event) {
      add(event.dataTransfer && event.dataTransfer.files);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
