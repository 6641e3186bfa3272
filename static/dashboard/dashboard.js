/* The dashboards' charts: drawn with the vendored ECharts from the specifications the page
   carries (#dashboard-charts), each with a table view and a download as PNG. In big-screen mode
   the charts are dark and the page reloads itself.
   ECharts renders tooltips as HTML, and the categories are names written by the townships' staff:
   the tooltips are made here, every name and value escaped (labels, axes and legends are drawn on
   the canvas as text). */
(function () {
  "use strict";
  var specEl = document.getElementById("dashboard-charts");
  if (!specEl || typeof echarts === "undefined") { return; }
  var specs = JSON.parse(specEl.textContent);
  var big = document.body.classList.contains("big-screen");
  var charts = {};

  function compact(value) {
    var n = Number(value);
    if (Math.abs(n) >= 1e8) { return (n / 1e8).toFixed(2).replace(/\.?0+$/, "") + "亿"; }
    if (Math.abs(n) >= 1e4) { return (n / 1e4).toFixed(1).replace(/\.?0+$/, "") + "万"; }
    return String(n);
  }

  var escapeHtml = window.portal.escapeHtml;

  function shown(value) {
    if (value === null || value === undefined || value === "-" || value === "") { return "—"; }
    var n = Number(value);
    return isNaN(n) ? String(value) : n.toLocaleString("zh-CN");
  }

  // params.marker is the coloured dot ECharts makes from the series' colour (set by the portal).
  function tipRow(marker, name, value) {
    return "<div>" + marker + escapeHtml(name) +
      '<span style="float:right;margin-left:1.5em;font-weight:bold">' + escapeHtml(value) + "</span></div>";
  }

  function axisTooltip(params) {
    var list = Array.isArray(params) ? params : [params];
    var head = list.length ? escapeHtml(list[0].axisValueLabel !== undefined ? list[0].axisValueLabel : list[0].name) : "";
    return "<div>" + head + "</div>" + list.map(function (p) { return tipRow(p.marker, p.seriesName, shown(p.value)); }).join("");
  }

  function itemTooltip(p) {
    return "<div>" + escapeHtml(p.seriesName) + "</div>" + tipRow(p.marker, p.name, shown(p.value) + " (" + p.percent + "%)");
  }

  function option(spec) {
    var text = { fontSize: big ? 16 : 12 };
    if (spec.pie) {
      return {
        backgroundColor: "transparent",
        tooltip: { trigger: "item", formatter: itemTooltip },
        legend: { bottom: 0, textStyle: text },
        series: [{
          type: "pie", radius: ["35%", "65%"], name: spec.series[0].name, label: text,
          data: spec.categories.map(function (c, i) { return { name: c, value: spec.series[0].data[i] }; })
        }]
      };
    }
    var twoAxes = spec.series.some(function (s) { return s.axis === 1; });
    var yAxis = [{ type: "value", axisLabel: { formatter: compact, fontSize: text.fontSize } }];
    if (twoAxes) { yAxis.push({ type: "value", axisLabel: { formatter: compact, fontSize: text.fontSize }, splitLine: { show: false } }); }
    return {
      backgroundColor: "transparent",
      tooltip: { trigger: "axis", formatter: axisTooltip },
      legend: { top: 0, textStyle: text, type: "scroll" },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: spec.categories, axisLabel: { fontSize: text.fontSize, interval: 0, rotate: spec.categories.length > 8 ? 40 : 0 } },
      yAxis: yAxis,
      series: spec.series.map(function (s) {
        return { name: s.name, type: s.type || "bar", data: s.data, yAxisIndex: s.axis || 0, color: s.color,
                 stack: spec.stack ? "total" : undefined, smooth: s.type === "line", connectNulls: false };
      })
    };
  }

  specs.forEach(function (spec) {
    var el = document.getElementById("chart-" + spec.id);
    if (!el) { return; }
    var chart = echarts.init(el, big ? "dark" : null, { renderer: "canvas" });
    chart.setOption(option(spec));
    chart.on("click", function (params) { // a bar or a slice opens the records behind it
      var series = spec.pie ? spec.series[0] : spec.series[params.seriesIndex];
      var url = series && series.links && series.links[params.dataIndex];
      if (url) { window.location.href = url; }
    });
    charts[spec.id] = chart;
  });

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });

  document.querySelectorAll("[data-toggle-table]").forEach(function (button) {
    button.addEventListener("click", function () {
      var id = button.getAttribute("data-toggle-table");
      var table = document.getElementById("table-" + id);
      var chart = document.getElementById("chart-" + id);
      var showTable = table.classList.contains("d-none");
      table.classList.toggle("d-none", !showTable);
      chart.classList.toggle("d-none", showTable);
      button.setAttribute("aria-pressed", showTable ? "true" : "false");
      if (!showTable) { charts[id].resize(); }
    });
  });

  document.querySelectorAll("[data-download]").forEach(function (button) {
    button.addEventListener("click", function () {
      var id = button.getAttribute("data-download");
      var link = document.createElement("a");
      link.href = charts[id].getDataURL({ type: "png", pixelRatio: 2, backgroundColor: big ? "#212529" : "#fff" });
      link.download = id + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });

  var root = document.getElementById("dashboard");

  // Each figure against the quarter before and the pilot's start (fetched: the page stays fast).
  // The server words each change ({text, css}: +12, +4.6%, 持平); this only writes it.
  function growth(change) {
    var span = document.createElement("span");
    span.className = change.css;
    span.textContent = change.text;
    return span;
  }
  if (root && root.getAttribute("data-compare-url")) {
    fetch(root.getAttribute("data-compare-url"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("comparison " + r.status); } return r.json(); })
      .then(function (data) {
        Object.keys(data.figures).forEach(function (key) {
          var row = data.figures[key];
          var box = document.querySelector('[data-figure="' + key + '"] .dash-figure-growth');
          if (!box) { return; }
          box.textContent = "";
          [["previous", row.previous_change], ["pilot", row.pilot_change]].forEach(function (pair) {
            if (!pair[1]) { return; }
            if (box.childNodes.length) { box.appendChild(document.createTextNode(" · ")); }
            box.appendChild(document.createTextNode(data.labels[pair[0]] + " "));
            box.appendChild(growth(pair[1]));
          });
        });
        Object.keys(data.not_compared || {}).forEach(function (key) {
          var box = document.querySelector('[data-figure="' + key + '"] .dash-figure-growth');
          if (box) { box.textContent = ""; box.setAttribute("title", data.not_compared[key]); } // a set year or batch: no change shown
        });
        root.setAttribute("data-compared", data.period);
      })
      .catch(function (err) { root.setAttribute("data-compared", "error: " + err); });
  }
  var refresh = root && Number(root.getAttribute("data-refresh"));
  if (refresh) {
    window.setTimeout(function () { window.location.reload(); }, refresh * 1000);
    if (document.documentElement.requestFullscreen && !document.fullscreenElement) {
      document.addEventListener("click", function once() {
        document.removeEventListener("click", once);
        document.documentElement.requestFullscreen().catch(function () { /* refused: stay in the window */ });
      });
    }
  }
})();
