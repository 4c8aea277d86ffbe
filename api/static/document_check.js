// The verification screen: the page images beside the fields. Focusing a field shows its page and
// draws its box; clicking a box focuses its field. Keys: Ctrl+S saves, Ctrl+Enter submits,
// Alt+PageDown / Alt+PageUp turn pages, Alt+plus / Alt+minus zoom. Without JavaScript the form
// still saves and submits; only the boxes and page turning need it.
(function () {
  "use strict";
  var MIN_ZOOM = 50, MAX_ZOOM = 300;

  function setUp() {
    var viewer = document.getElementById("viewer");
    var form = document.getElementById("check-form");
    if (!form) return;
    var pages = viewer ? Array.prototype.slice.call(viewer.querySelectorAll(".page-view")) : [];
    var current = 1;
    var zoom = 100;

    function showPage(number) {
      if (!pages.length) return;
      current = Math.max(1, Math.min(pages.length, number));
      pages.forEach(function (view) { view.hidden = Number(view.dataset.page) !== current; });
      var label = document.getElementById("page-label");
      if (label) label.textContent = "Page " + current + " of " + pages.length;
    }

    function setZoom(percent) {
      zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, percent));
      viewer.querySelectorAll(".page-frame").forEach(function (frame) { frame.style.width = zoom + "%"; });
      var label = document.getElementById("zoom-label");
      if (label) label.textContent = zoom + "%";
    }

    function boxOf(path) {
      return viewer ? viewer.querySelector('.field-box[data-path="' + CSS.escape(path) + '"]') : null;
    }

    function showBoxOf(input) {
      if (!viewer) return;
      viewer.querySelectorAll(".field-box.active").forEach(function (box) { box.classList.remove("active"); });
      var box = boxOf(input.dataset.path);
      if (!box) return;
      showPage(Number(box.closest(".page-view").dataset.page));
      box.classList.add("active");
      var scroller = viewer.querySelector(".page-scroll");
      var boxTop = box.offsetTop, boxLeft = box.offsetLeft;
      if (scroller) {
        scroller.scrollTop = Math.max(0, boxTop - scroller.clientHeight / 3);
        scroller.scrollLeft = Math.max(0, boxLeft - scroller.clientWidth / 3);
      }
    }

    form.addEventListener("focusin", function (event) {
      if (event.target.matches("input[data-path]")) showBoxOf(event.target);
    });
    form.addEventListener("input", function (event) {
      if (event.target.matches("input[data-path]")) event.target.classList.add("edited");
    });

    if (viewer) {
      viewer.addEventListener("click", function (event) {
        var box = event.target.closest(".field-box");
        if (box) {
          var input = form.querySelector('input[data-path="' + CSS.escape(box.dataset.path) + '"]');
          if (input) { input.focus(); input.select(); }
          return;
        }
        var step = event.target.closest("[data-page-step]");
        if (step) showPage(current + Number(step.dataset.pageStep));
        var zoomStep = event.target.closest("[data-zoom-step]");
        if (zoomStep) setZoom(zoom + Number(zoomStep.dataset.zoomStep));
      });
    }

    form.addEventListener("click", function (event) {
      var clear = event.target.closest("[data-clear-line]");
      if (clear) {
        clear.closest("tr").querySelectorAll("input[data-path]").forEach(function (input) {
          input.value = "";
          input.classList.add("edited");
        });
      }
    });

    var addLine = document.getElementById("add-line");
    if (addLine) {
      addLine.addEventListener("click", function () {
        var index = Number(addLine.dataset.nextLine);
        var row = document.createElement("tr");
        var number = document.createElement("td");
        number.className = "num";
        number.textContent = String(index + 1);
        row.appendChild(number);
        addLine.dataset.fields.split(",").forEach(function (name) {
          var cell = document.createElement("td");
          var input = document.createElement("input");
          var path = "lines[" + index + "]." + name;
          input.name = "f." + path;
          input.dataset.path = path;
          input.className = "field edited";
          input.setAttribute("aria-label", name.replace("_", " ") + " (" + path + ")");
          cell.appendChild(input);
          row.appendChild(cell);
        });
        row.appendChild(document.createElement("td"));
        document.querySelector("#line-fields tbody").appendChild(row);
        addLine.dataset.nextLine = String(index + 1);
        row.querySelector("input").focus();
      });
    }

    document.addEventListener("keydown", function (event) {
      var save = document.getElementById("save");
      var submit = document.getElementById("submit-invoice");
      if ((event.ctrlKey || event.metaKey) && event.key === "s" && save) {
        event.preventDefault();
        form.requestSubmit(save);
      } else if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && submit) {
        event.preventDefault();
        form.requestSubmit(submit);
      } else if (event.altKey && event.key === "PageDown") {
        event.preventDefault();
        showPage(current + 1);
      } else if (event.altKey && event.key === "PageUp") {
        event.preventDefault();
        showPage(current - 1);
      } else if (event.altKey && (event.key === "+" || event.key === "=") && viewer) {
        event.preventDefault();
        setZoom(zoom + 25);
      } else if (event.altKey && event.key === "-" && viewer) {
        event.preventDefault();
        setZoom(zoom - 25);
      }
    });

    var focused = document.activeElement;
    if (focused && focused.matches && focused.matches("input[data-path]")) showBoxOf(focused);
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
