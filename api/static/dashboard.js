// Draws the overview's charts with Chart.js from the JSON the page embeds next to each canvas
// (<canvas data-chart="ID"> and <script type="application/json" id="ID">), again after htmx
// swaps in a refreshed part. A click on a bar or point opens the queue filtered to its entries.
(function () {
  "use strict";
  var COLOURS = ["#1b7f3b", "#c98a00", "#b42318", "#1f5fbf", "#6b4fbb", "#0e7c86", "#8a8f98"];

  function draw(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || typeof Chart === "undefined") return;
      var spec = JSON.parse(source.textContent);
      var old = Chart.getChart(canvas);
      if (old) old.destroy();
      spec.datasets.forEach(function (dataset, index) {
        var colour = dataset.colour || COLOURS[index % COLOURS.length];
        dataset.backgroundColor = colour;
        dataset.borderColor = colour;
      });
      new Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: spec.datasets },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: {
            x: { stacked: !!spec.stacked },
            y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } }
          },
          onClick: function (_event, elements, chart) {
            if (!elements.length) return;
            var element = elements[0];
            var links = chart.data.datasets[element.datasetIndex].links;
            if (links && links[element.index]) window.location.href = links[element.index];
          }
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.elt || document); });
})();
