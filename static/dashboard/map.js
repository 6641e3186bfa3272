/* 一图观全貌: the county's villages on a plain background (no tile server, works offline), coloured
   by tier, the joint-committee zones drawn around their villages, and each village's homestead
   parcels (count, area, idle share) with a link to its parcel list.
   Names are written by the townships' staff: they reach the page as text only (text(), textContent),
   never as HTML (Leaflet reads a string given to a tooltip or a layer control as HTML). */
(function () {
  "use strict";
  var el = document.getElementById("county-map");
  if (!el || typeof L === "undefined") { return; }
  var COLORS = ["#c0392b", "#f39c12", "#1e8449"]; // strengthen foundations, strive for excellence, model

  function hull(points) { // Andrew's monotone chain; points [[lat, lng]]
    var p = points.slice().sort(function (a, b) { return a[1] - b[1] || a[0] - b[0]; });
    if (p.length < 3) { return p; }
    function cross(o, a, b) { return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1]); }
    var lower = [], upper = [], i;
    for (i = 0; i < p.length; i++) {
      while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p[i]) <= 0) { lower.pop(); }
      lower.push(p[i]);
    }
    for (i = p.length - 1; i >= 0; i--) {
      while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p[i]) <= 0) { upper.pop(); }
      upper.push(p[i]);
    }
    upper.pop(); lower.pop();
    return lower.concat(upper);
  }

  function text(value) { // a tooltip's content as a DOM node, so that Leaflet does not parse it as HTML
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function row(parent, label, value) {
    var div = document.createElement("div");
    var b = document.createElement("span");
    b.className = "text-body-secondary";
    b.textContent = label + ": ";
    div.appendChild(b);
    div.appendChild(document.createTextNode(value));
    parent.appendChild(div);
  }

  function link(parent, href, text, cls) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    a.className = cls || "";
    parent.appendChild(a);
    return a;
  }

  fetch(el.getAttribute("data-url"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("map data " + r.status); } return r.json(); })
    .then(function (data) {
      var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false });
      var F = {};
      data.fields.forEach(function (name, i) { F[name] = i; });
      var zones = {};
      data.zones.forEach(function (z) { zones[z[0]] = { name: z[1], points: [] }; });
      var villages = L.featureGroup();
      var placed = 0;
      data.villages.forEach(function (v) {
        if (v[F.lat] === null || v[F.lng] === null) { return; }
        placed += 1;
        var ll = [v[F.lat], v[F.lng]];
        if (v[F.zone] && zones[v[F.zone]]) { zones[v[F.zone]].points.push(ll); }
        var parcels = v[F.parcels];
        var marker = L.circleMarker(ll, {
          radius: 4 + Math.min(8, Math.sqrt(parcels) / 6), color: "#333", weight: 1,
          fillColor: COLORS[v[F.tier]] || "#777", fillOpacity: 0.85
        });
        marker.bindTooltip(text(v[F.name]));
        marker.bindPopup(function () {
          var box = document.createElement("div");
          var title = document.createElement("div");
          title.className = "fw-semibold mb-1";
          title.textContent = v[F.name];
          box.appendChild(title);
          row(box, data.labels.tier, data.tiers[v[F.tier]][1]);
          row(box, data.labels.zone, v[F.zone] && zones[v[F.zone]] ? zones[v[F.zone]].name : data.labels.none);
          row(box, data.labels.parcels, parcels.toLocaleString());
          row(box, data.labels.area, v[F.area].toLocaleString());
          row(box, data.labels.idle, parcels ? (100 * v[F.idle] / parcels).toFixed(1) + "%" : "—");
          var links = document.createElement("div");
          links.className = "mt-1 d-flex gap-2";
          link(links, data.urls.parcels + v[F.id], data.labels.list, "map-parcels");
          link(links, data.urls.profile.replace("{id}", v[F.id]), data.labels.profile, "map-profile");
          box.appendChild(links);
          return box;
        });
        marker.villageId = v[F.id];
        villages.addLayer(marker);
      });
      var zoneLayer = L.featureGroup();
      Object.keys(zones).forEach(function (id) {
        var pts = zones[id].points;
        if (!pts.length) { return; }
        var shape = pts.length >= 3 ? L.polygon(hull(pts), { color: "#2e86c1", weight: 1.5, fillOpacity: 0.08, dashArray: "4 3" })
                                    : L.polyline(pts, { color: "#2e86c1", weight: 2 });
        shape.bindTooltip(text(zones[id].name), { sticky: true });
        zoneLayer.addLayer(shape);
      });
      var centres = {};
      data.villages.forEach(function (v) {
        if (v[F.lat] === null) { return; }
        var c = centres[v[F.township]] || (centres[v[F.township]] = { lat: 0, lng: 0, n: 0 });
        c.lat += v[F.lat]; c.lng += v[F.lng]; c.n += 1;
      });
      var townLayer = L.layerGroup();
      (data.townships || []).forEach(function (t) {
        var c = centres[t[0]];
        if (!c) { return; }
        L.tooltip({ permanent: true, interactive: false, direction: "center", className: "dash-town-label" })
          .setLatLng([c.lat / c.n, c.lng / c.n]).setContent(text(t[1])).addTo(townLayer);
      });
      townLayer.addTo(map);
      zoneLayer.addTo(map);
      villages.addTo(map);
      var overlays = {}; // the layer control takes its labels as HTML
      overlays[window.portal.escapeHtml(el.getAttribute("data-label-villages"))] = villages;
      overlays[window.portal.escapeHtml(el.getAttribute("data-label-zones"))] = zoneLayer;
      overlays[window.portal.escapeHtml(el.getAttribute("data-label-townships"))] = townLayer;
      L.control.layers(null, overlays, { collapsed: false }).addTo(map);
      var legend = L.control({ position: "bottomleft" });
      legend.onAdd = function () {
        var div = L.DomUtil.create("div", "dash-legend");
        data.tiers.forEach(function (t, i) {
          var line = document.createElement("div");
          var dot = document.createElement("i");
          dot.style.background = COLORS[i];
          line.appendChild(dot);
          line.appendChild(document.createTextNode(t[1]));
          div.appendChild(line);
        });
        return div;
      };
      legend.addTo(map);
      if (placed) { map.fitBounds(villages.getBounds().pad(0.05)); } else { map.setView([35.72, 116.49], 10); }
      // Zoomed out beyond the whole county, the township names would cover each other: hide them.
      var countyZoom = map.getZoom();
      function farOut() { el.classList.toggle("dash-map-far", map.getZoom() < countyZoom - 0.5); }
      map.on("zoomend", farOut);
      farOut();
      el.setAttribute("data-villages", String(placed));
      el.setAttribute("data-zones", String(zoneLayer.getLayers().length));
      window.countyMap = { map: map, villages: villages, zones: zoneLayer };
    })
    .catch(function (err) {
      el.textContent = String(err);
      el.classList.add("text-danger", "p-3");
    });
})();
