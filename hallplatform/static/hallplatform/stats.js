/* The statistics charts (analytics/web/dashboard.py): drawn with the vendored Chart.js from the
   page's JSON block (id "stats-charts"). Each chart shows columns of the table beside it, so without
   JavaScript (or without Chart.js) the page keeps every number in its tables. No network access. */
(function () {
  "use strict";

  function start() {
    var source = document.getElementById("stats-charts");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var charts = JSON.parse(source.textContent);
    var boxes = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(boxes, function (box) {
      var spec = charts[box.getAttribute("data-chart")];
      if (spec && spec.rows.length) {
        draw(box, spec);
      }
    });
  }

  function hours(minutes) {
    return Math.round((minutes / 60) * 10) / 10;
  }

  function axisTicks(unit) {
    if (unit === "percent") {
      return function (value) { return value + "%"; };
    }
    if (unit === "minutes") {
      return function (value) { return hours(value) + " h"; };
    }
    return function (value) { return value; };
  }

  function draw(box, spec) {
    var rows = spec.rows.length;
    var groups = spec.datasets.length;
    if (spec.horizontal) {
      box.style.height = Math.max(160, rows * (groups * 16 + 12) + 70) + "px";
    }
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", spec.title);
    box.appendChild(canvas);
    box.hidden = false;
    var valueAxis = {
      beginAtZero: true,
      ticks: { callback: axisTicks(spec.unit), precision: spec.unit === "count" ? 0 : undefined }
    };
    if (spec.unit === "percent") {
      valueAxis.max = 100;
    }
    var scales = spec.horizontal ? { x: valueAxis, y: { ticks: { autoSkip: false } } } : { y: valueAxis, x: {} };
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset) {
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: dataset.colors || dataset.color,
            borderWidth: 0,
            maxBarThickness: 36
          };
        })
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          legend: { display: groups > 1 && !spec.datasets[0].colors },
          tooltip: {
            callbacks: {
              label: function (context) {
                var dataset = spec.datasets[context.datasetIndex];
                var value = context.raw;
                var text = value === null ? "—" : spec.unit === "percent" ? value + "%"
                  : spec.unit === "minutes" ? hours(value) + " h" : String(value);
                return dataset.label + ": " + text;
              }
            }
          }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
