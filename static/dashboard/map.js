/* 一图观全貌: the county on a plain background (no tile server, works offline).

   The county's data (wenshang/dashboard/geo.py) holds its townships as aggregates — one circle per
   township at the mean of its villages' places, sized by its villages, with its villages by tier
   and its homestead parcels — and the joint-committee zones' outlines; no village. Clicking a
   township, or zooming in, loads that township's villages (?township=<id>, a few KB each): dots
   coloured by tier, each with its parcels (count, area, idle share) and links to its parcel list
   and its profile. Zoomed back out to the county, the townships show again. A township's staff
   (and /dashboard/map/?township=<id>) get the township's villages at once.
   Names are written by the townships' staff: they reach the page as text only (text(), textContent),
   never as HTML (Leaflet reads a string given to a tooltip or a layer control as HTML). */
(function () {
  "use strict";
  var el = document.getElementById("county-map");
  if (!el || typeof L === "undefined") { return; }
  var COLORS = ["#c0392b", "#f39c12", "#1e8449"]; // strengthen foundations, strive for excellence, model
  var TOWN_COLOR = "#2e86c1";
  var DETAIL = 0.75; // zoom levels beyond the county's at which villages replace the townships

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

  function link(parent, href, label, cls) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = label;
    a.className = cls || "";
    parent.appendChild(a);
    return a;
  }

  function positions(names) {
    var F = {};
    names.forEach(function (name, i) { F[name] = i; });
    return F;
  }

  function json(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("map data " + r.status); }
      return r.json();
    });
  }

  function idleShare(parcels, idle) {
    return parcels ? (100 * idle / parcels).toFixed(1) + "%" : "—";
  }

  json(el.getAttribute("data-url"))
    .then(function (data) {
      var county = data.level === "county";
      var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false });
      var F = positions(data.fields);
      var zoneNames = {};
      var villages = L.featureGroup();   // the villages loaded so far
      var zoneLayer = L.featureGroup();
      var townLayer = L.layerGroup();    // the townships' names
      var aggregates = L.featureGroup(); // the county: one circle per township
      var placed = 0;
      var loaded = {};  // township id → the promise of its villages
      var extent = {};  // township id → the bounds of its villages

      data.zones.forEach(function (z) {
        zoneNames[z[0]] = z[1];
        var pts = z[2];
        if (!pts.length) { return; }
        var shape = pts.length >= 3 ? L.polygon(pts, { color: "#2e86c1", weight: 1.5, fillOpacity: 0.08, dashArray: "4 3" })
                                    : L.polyline(pts, { color: "#2e86c1", weight: 2 });
        shape.bindTooltip(text(z[1]), { sticky: true });
        zoneLayer.addLayer(shape);
      });

      function addVillages(payload) {
        payload.villages.forEach(function (v) {
          if (v[F.lat] === null || v[F.lng] === null) { return; }
          placed += 1;
          var ll = [v[F.lat], v[F.lng]];
          var t = v[F.township];
          extent[t] = extent[t] ? extent[t].extend(ll) : L.latLngBounds([ll, ll]);
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
            row(box, data.labels.zone, v[F.zone] && zoneNames[v[F.zone]] ? zoneNames[v[F.zone]] : data.labels.none);
            row(box, data.labels.parcels, parcels.toLocaleString());
            row(box, data.labels.area, v[F.area].toLocaleString());
            row(box, data.labels.idle, idleShare(parcels, v[F.idle]));
            var links = document.createElement("div");
            links.className = "mt-1 d-flex gap-2";
            link(links, data.urls.parcels + v[F.id], data.labels.list, "map-parcels");
            link(links, data.urls.profile.replace("{id}", v[F.id]), data.labels.profile, "map-profile");
            box.appendChild(links);
            return box;
          });
          marker.villageId = v[F.id];
          marker.townshipId = t;
          villages.addLayer(marker);
        });
        el.setAttribute("data-villages", String(placed));
      }

      function label(name, ll) {
        L.tooltip({ permanent: true, interactive: false, direction: "center", className: "dash-town-label" })
          .setLatLng(ll).setContent(text(name)).addTo(townLayer);
      }

      // Load a township's villages once (the county's map); a promise of them.
      function loadTownship(id) {
        if (!loaded[id]) {
          loaded[id] = json(data.urls.township_data + id).then(function (payload) {
            addVillages(payload);
            return payload;
          });
        }
        return loaded[id];
      }

      var countyZoom = null;
      function detailed() { return !county || (countyZoom !== null && map.getZoom() >= countyZoom + DETAIL); }

      // Zoomed in: the villages of the townships in view (loaded as needed), not their circles.
      function update() {
        if (!county) { return; }
        var detail = detailed();
        if (detail) {
          var view = map.getBounds().pad(0.25);
          aggregates.eachLayer(function (m) { if (view.contains(m.getLatLng())) { loadTownship(m.townshipId); } });
          if (map.hasLayer(aggregates)) { map.removeLayer(aggregates); }
          if (!map.hasLayer(villages)) { map.addLayer(villages); }
        } else {
          if (map.hasLayer(villages)) { map.removeLayer(villages); }
          if (!map.hasLayer(aggregates)) { map.addLayer(aggregates); }
        }
        el.classList.toggle("dash-map-detail", detail);
      }

      // Show a township's villages: load them and zoom to them (a promise, resolved when shown).
      function showTownship(id) {
        return loadTownship(id).then(function () {
          map.closePopup();
          var box = extent[id];
          if (box) {
            map.fitBounds(box.pad(0.15), { animate: false, maxZoom: 14 });
            if (countyZoom !== null && map.getZoom() < countyZoom + DETAIL) { map.setZoom(countyZoom + DETAIL, { animate: false }); }
          }
          update();
        });
      }

      var bounds = null;
      if (county) {
        var T = positions(data.township_fields);
        data.townships.forEach(function (t) {
          if (t[T.lat] === null || t[T.lng] === null) { return; }
          var ll = [t[T.lat], t[T.lng]];
          label(t[T.name], ll);
          bounds = bounds ? bounds.extend(ll) : L.latLngBounds([ll, ll]);
          var marker = L.circleMarker(ll, {
            radius: 9 + Math.min(16, Math.sqrt(t[T.villages]) * 2), color: "#1b4f72", weight: 1.5,
            fillColor: TOWN_COLOR, fillOpacity: 0.35
          });
          marker.townshipId = t[T.id];
          marker.bindPopup(function () {
            var box = document.createElement("div");
            var title = document.createElement("div");
            title.className = "fw-semibold mb-1";
            title.textContent = t[T.name];
            box.appendChild(title);
            row(box, data.labels.villages, t[T.villages].toLocaleString() + "（" +
              data.tiers.map(function (tier, i) { return tier[1] + " " + t[T.tiers][i]; }).join("，") + "）");
            row(box, data.labels.parcels, t[T.parcels].toLocaleString());
            row(box, data.labels.area, t[T.area].toLocaleString());
            row(box, data.labels.idle, idleShare(t[T.parcels], t[T.idle]));
            var links = document.createElement("div");
            links.className = "mt-1 d-flex flex-wrap gap-2";
            var show = link(links, "#", data.labels.show_villages, "map-show-villages");
            show.addEventListener("click", function (event) { event.preventDefault(); showTownship(t[T.id]); });
            link(links, data.urls.township_parcels + t[T.id], data.labels.list, "map-parcels");
            link(links, data.urls.township_dashboard.replace("{id}", t[T.id]), data.labels.dashboard, "map-dashboard");
            box.appendChild(links);
            return box;
          });
          aggregates.addLayer(marker);
        });
        el.setAttribute("data-townships", String(aggregates.getLayers().length));
        el.setAttribute("data-villages", "0");
        aggregates.addTo(map);
      } else {
        addVillages(data);
        var centres = {};
        data.villages.forEach(function (v) {
          if (v[F.lat] === null) { return; }
          var c = centres[v[F.township]] || (centres[v[F.township]] = { lat: 0, lng: 0, n: 0 });
          c.lat += v[F.lat]; c.lng += v[F.lng]; c.n += 1;
        });
        (data.townships || []).forEach(function (t) {
          var c = centres[t[0]];
          if (c) { label(t[1], [c.lat / c.n, c.lng / c.n]); }
        });
        if (placed) { bounds = villages.getBounds(); }
        villages.addTo(map);
      }
      townLayer.addTo(map);
      zoneLayer.addTo(map);
      var overlays = {}; // the layer control takes its labels as HTML
      if (!county) { overlays[window.portal.escapeHtml(el.getAttribute("data-label-villages"))] = villages; }
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
        if (county) {
          var line = document.createElement("div");
          var dot = document.createElement("i");
          dot.style.background = TOWN_COLOR;
          dot.style.opacity = "0.6";
          line.appendChild(dot);
          line.appendChild(document.createTextNode(data.labels.township));
          div.appendChild(line);
        }
        return div;
      };
      legend.addTo(map);
      function showCounty() {
        map.closePopup();
        if (bounds) { map.fitBounds(bounds.pad(county ? 0.15 : 0.05), { animate: false }); } else { map.setView([35.72, 116.49], 10); }
      }
      showCounty();
      if (county) { // back to the whole map from a township's villages
        var back = L.control({ position: "topleft" });
        back.onAdd = function () {
          var div = L.DomUtil.create("div", "leaflet-bar");
          var a = link(div, "#", data.labels.whole, "map-whole px-2 text-nowrap");
          a.setAttribute("role", "button");
          a.style.width = "auto";
          L.DomEvent.disableClickPropagation(div);
          a.addEventListener("click", function (event) { event.preventDefault(); showCounty(); });
          return div;
        };
        back.addTo(map);
      }
      // Zoomed out beyond the whole county, the township names would cover each other: hide them.
      countyZoom = map.getZoom();
      function farOut() { el.classList.toggle("dash-map-far", map.getZoom() < countyZoom - 0.5); }
      map.on("zoomend", farOut);
      map.on("zoomend moveend", update);
      farOut();
      update();
      el.setAttribute("data-zones", String(zoneLayer.getLayers().length));
      window.countyMap = {
        map: map, villages: villages, zones: zoneLayer, townships: aggregates, level: data.level,
        showTownship: showTownship, showCounty: showCounty
      };
    })
    .catch(function (err) {
      el.textContent = String(err);
      el.classList.add("text-danger", "p-3");
    });
})();
