// The documents page's upload: files dropped on the drop zone or chosen with its picker are sent one
// request each to POST /documents/upload (with the session's CSRF token), so every file has its own
// progress bar and its own outcome: created, the same file as an earlier document, or refused with
// the server's message. Once all are answered, the table below is refreshed (htmx), and it keeps
// refreshing itself while any document waits or is being extracted.
(function () {
  "use strict";

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    return headers ? JSON.parse(headers)["X-CSRF-Token"] : "";
  }

  function refreshTable() {
    var live = document.getElementById("documents-live");
    if (live && typeof htmx !== "undefined") {
      htmx.ajax("GET", live.dataset.liveUrl, { target: "#documents-live", swap: "outerHTML" });
    }
  }

  function outcome(xhr) {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
    if (xhr.status >= 200 && xhr.status < 300 && body && body.documents && body.documents.length) {
      var document_ = body.documents[0];
      var text = document_.created
        ? "Created document " + document_.id + " (" + document_.status + ")"
        : "Same file as document " + document_.id + " (" + document_.status + ")";
      if (document_.status_reason) text += ": " + document_.status_reason;
      return { ok: document_.status !== "failed", text: text, id: document_.id };
    }
    if (body && body.error) {
      var detail = body.error.details && body.error.details[0] && body.error.details[0].message;
      var message = body.error.message + (detail && body.error.message.indexOf(detail) < 0 ? " (" + detail + ")" : "");
      return { ok: false, text: "Refused (" + xhr.status + "): " + message };
    }
    if (xhr.status === 403) return { ok: false, text: "Refused (403): the page's security token is stale; reload the page." };
    return { ok: false, text: "Refused (" + xhr.status + "): the server did not take the file." };
  }

  function start() {
    var form = document.getElementById("upload-form");
    var input = document.getElementById("upload-files");
    var zone = document.getElementById("drop-zone");
    var list = document.getElementById("upload-list");
    if (!form || !input || !zone || !list) return;
    var pending = 0;

    function send(file) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      var bar = document.createElement("progress");
      var result = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "upload of " + file.name);
      result.className = "upload-result muted";
      result.textContent = "uploading…";
      item.append(name, bar, result);
      list.prepend(item);

      var data = new FormData();
      data.append("file", file, file.name);
      ["po_number", "vendor_id"].forEach(function (field) {
        var value = form.elements[field].value.trim();
        if (value) data.append(field, value);
      });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRF-Token", csrfToken());
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
      };
      function done(answer) {
        result.className = "upload-result " + (answer.ok ? "upload-ok" : "upload-refused");
        result.textContent = answer.text;
        item.dataset.outcome = answer.ok ? "ok" : "refused";
        pending -= 1;
        if (pending === 0) refreshTable();
      }
      xhr.onload = function () {
        bar.value = 100;
        done(outcome(xhr));
      };
      xhr.onerror = function () { done({ ok: false, text: "Not sent: the connection failed." }); };
      pending += 1;
      xhr.send(data);
    }

    function sendAll(files) { Array.prototype.forEach.call(files, send); }

    input.addEventListener("change", function () {
      sendAll(input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("drop-active");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("drop-active"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) sendAll(event.dataTransfer.files);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
