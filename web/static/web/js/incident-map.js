// The incident's map, on Slid's base map (./map.js; the page loads dist/ol.js before this module).
//
// <div data-incident-map data-mode="edit" data-input="id_location">: the form's map. The tools (a
// [data-map-tools] toolbar in the same section) drop a point, draw a line or an area, or edit the shape;
// what is drawn is written into the location field as GeoJSON, whose "change" event makes htmx ask the
// server about it (web.views.incidents.IncidentLocationCheckPage). Typing in the field (GeoJSON or WKT)
// redraws the map, so a keyboard alone can enter a location. One geometry at a time: drawing anew
// replaces the old one.
// <div data-incident-map data-mode="view" data-geometry="{GeoJSON}">: the incident's page, to look at.
// Both draw the case's other incidents around it (data-incidents, the case's map tiles), so that one
// recorded twice is seen, and the incident itself (data-incident-id) stands out among them. A new one's map
// opens where the case's incidents are (data-extent: minlon,minlat,maxlon,maxlat).

import { STYLES, createMap, fitLonLat, incidentLayer, readGeoJSON, vectorLayer, writeGeoJSON } from "./map.js";

const ol = globalThis.ol;

/** A feature from GeoJSON or WKT text (longitude first), or null if it cannot be read. */
function readLocation(text) {
  const trimmed = (text || "").trim();
  if (!trimmed) return null;
  try {
    if (/^[[{]/.test(trimmed)) return readGeoJSON(JSON.parse(trimmed))[0] || null;
    const geometry = new ol.format.WKT().readGeometry(trimmed, {
      dataProjection: "EPSG:4326",
      featureProjection: "EPSG:3857",
    });
    return new ol.Feature(geometry);
  } catch {
    return null; // the server says what is wrong with it, next to the map
  }
}

function show(map, source, feature) {
  source.clear();
  if (!feature || !feature.getGeometry()) return;
  source.addFeature(feature);
  map.getView().fit(feature.getGeometry().getExtent(), { padding: [48, 48, 48, 48], maxZoom: 15 });
}

function start(element) {
  const layer = vectorLayer([], { style: STYLES.selected });
  layer.setZIndex(30); // above the other incidents
  const source = layer.getSource();
  const editing = element.dataset.mode === "edit";
  const layers = [layer];
  const { incidents, incidentId, extent } = element.dataset;
  if (incidents) {
    const selected = (feature) => String(feature.get("id")) === incidentId;
    layers.push(incidentLayer(incidents, { selected }));
  }
  const map = createMap(element, { layers });
  if (extent) fitLonLat(map, extent.split(",").map(Number), { maxZoom: 13 });
  // For whoever needs them from the page (the browser tests): the map, and the layer of this incident.
  element.incidentMap = map;
  element.incidentLayer = layer;

  if (!editing) {
    show(map, source, readLocation(element.dataset.geometry));
    return;
  }
  const input = document.getElementById(element.dataset.input);
  show(map, source, readLocation(input.value));
  const panel = element.closest("section") || document;
  const toolbar = panel.querySelector("[data-map-tools]");
  const hint = panel.querySelector("[data-map-hint]");
  toolbar.hidden = false;
  if (hint) hint.hidden = false;

  const written = (geometry) => {
    input.value = geometry ? JSON.stringify(writeGeoJSON(geometry)) : "";
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  let interaction = null;
  const use = (tool) => {
    if (interaction) map.removeInteraction(interaction);
    if (tool === "Modify") {
      interaction = new ol.interaction.Modify({ source });
      interaction.on("modifyend", (event) => written(event.features.item(0).getGeometry()));
    } else {
      interaction = new ol.interaction.Draw({ source, type: tool });
      interaction.on("drawstart", () => source.clear());
      interaction.on("drawend", (event) => written(event.feature.getGeometry()));
    }
    map.addInteraction(interaction);
    for (const button of toolbar.querySelectorAll("[data-tool]")) {
      if (button.dataset.tool !== "clear") button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
    }
  };
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("[data-tool]");
    if (!button) return;
    if (button.dataset.tool === "clear") {
      source.clear();
      written(null);
    } else {
      use(button.dataset.tool);
    }
  });
  // Typed or pasted: the map follows (the server's answer comes through htmx, as for a drawing).
  let typing = null;
  input.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => show(map, source, readLocation(input.value)), 300);
  });
  use(source.getFeatures().length ? "Modify" : "Point");
}

for (const element of document.querySelectorAll("[data-incident-map]")) start(element);
