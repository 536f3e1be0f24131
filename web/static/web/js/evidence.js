// The evidence page (web/templates/web/evidence_detail.html).
//
// <figure data-media="<item id>" class="media-blurred">: blurred, greyscale and muted (slid.css) until the
// viewer presses its [data-media-show] button; that item is then shown, with its sound.
// <div data-evidence-map> and #evidence-map-data ({"captured": [lon, lat], "incidents": [GeoJSON]}): where
// the file was captured, its incidents and a dashed line to each, on ./map.js (the page loads dist/ol.js).

function showMedia(figure, { focus = true } = {}) {
  figure.classList.remove("media-blurred");
  const veil = figure.querySelector(".media-veil");
  if (veil) veil.hidden = true;
  for (const media of figure.querySelectorAll("video, audio")) media.muted = false;
  if (!focus) return;
  // The button is gone: the focus goes to what it showed, so a keyboard user carries on from there.
  const player = figure.querySelector("video, audio, iframe");
  if (player) {
    player.focus();
  } else {
    figure.tabIndex = -1;
    figure.focus();
  }
}

for (const figure of document.querySelectorAll("[data-media]")) {
  const button = figure.querySelector("[data-media-show]");
  if (!button) continue;
  button.addEventListener("click", () => {
    // The item may be on the page twice (beside its near duplicates): the choice is about the item.
    for (const same of document.querySelectorAll(`[data-media="${figure.dataset.media}"]`)) {
      if (same !== figure) showMedia(same, { focus: false });
    }
    showMedia(figure);
  });
}

function startMap(element, { STYLES, createMap, readGeoJSON, toMap, vectorLayer }) {
  const source = document.getElementById("evidence-map-data");
  if (!source) return;
  const ol = globalThis.ol;
  const data = JSON.parse(source.textContent);
  const here = toMap(data.captured);
  const captured = new ol.Feature(new ol.geom.Point(here));
  const features = [];
  const lines = [];
  for (const geometry of data.incidents) {
    for (const feature of readGeoJSON(geometry)) {
      features.push(feature);
      lines.push(new ol.Feature(new ol.geom.LineString([here, feature.getGeometry().getClosestPoint(here)])));
    }
  }
  const dashed = new ol.style.Style({
    stroke: new ol.style.Stroke({ color: "#1f3a5f", width: 2, lineDash: [6, 6] }),
  });
  const map = createMap(element, { center: data.captured, zoom: 13 });
  map.addLayer(vectorLayer(lines, { style: dashed }));
  map.addLayer(vectorLayer(features));
  map.addLayer(vectorLayer([captured], { style: STYLES.selected }));
  const extent = ol.extent.createEmpty();
  for (const feature of [captured, ...features]) ol.extent.extend(extent, feature.getGeometry().getExtent());
  map.getView().fit(extent, { padding: [40, 40, 40, 40], maxZoom: 15, size: map.getSize() });
}

// map.js needs OpenLayers, which only a page with a map loads: imported then, not before.
const mapElement = document.querySelector("[data-evidence-map]");
if (mapElement && globalThis.ol) import("./map.js").then((maps) => startMap(mapElement, maps));
