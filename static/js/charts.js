/* Draws every <canvas data-chart="ID"> from the Chart.js configuration in the JSON script
   element #ID (written by the server with json_script). Each chart has the same figures in a
   table next to it, so the page reads the same without scripts, on paper and aloud. */
(function () {
  "use strict";
  function draw() {
    if (!window.Chart) { return; }
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.animation = false;
    Chart.defaults.datasets.bar.maxBarThickness = 56;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) { return; }
      var config = JSON.parse(source.textContent);
      config.options = Object.assign({responsive: true, maintainAspectRatio: false},
                                     config.options || {});
      canvas.dataset.drawn = "1";
      new Chart(canvas, config);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
