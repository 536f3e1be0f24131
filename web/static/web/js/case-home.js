// The case home: the map of the case's incidents (clusters from the server), the timeline's brush, and the
// list under them, which htmx replaces when a filter changes. Everything the list shows is in the address:
// a filter changed in the form adds a step to the browser's history; moving the map replaces the current one
// (so that the Back button is not caught by every pan).

import { createMap, fitLonLat, incidentLayer, lonLatExtent } from "./map.js";
import { drawTimeline } from "./timeline.js";

const htmx = globalThis.htmx;
const form = document.querySelector("[data-incident-filters]");
const bbox = form.querySelector("[data-bbox]");
const inView = form.querySelector("[data-in-view]");
const after = form.querySelector("[name=occurred_after]");
const before = form.querySelector("[name=occurred_before]");
const MOVE_SETTLES_MS = 350;

/** The list for the form's filters, without adding to the browser's history. */
function refreshList() {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (value) query.append(name, value);
  const url = `${form.action}${query.size ? `?${query}` : ""}`;
  htmx.ajax("GET", url, { target: "#incident-list", swap: "outerHTML" }).then(() => {
    history.replaceState(history.state, "", url);
  });
}

// Empty fields stay out of the address.
form.addEventListener("htmx:configRequest", (event) => {
  for (const [name, value] of Object.entries(event.detail.parameters)) {
    if (value === "") delete event.detail.parameters[name];
  }
});

function formChanged() {
  htmx.trigger(form, "change");
}

// --- the map -------------------------------------------------------------------------------------------
const mapElement = document.querySelector("[data-case-map]");
const options = JSON.parse(document.getElementById("case-map-options").textContent);
const map = createMap(mapElement);
if (options.extent) fitLonLat(map, options.extent, { maxZoom: 13, padding: [48, 48, 48, 48] });
map.addLayer(incidentLayer(options.tiles));

map.on("pointermove", (event) => {
  if (event.dragging) return;
  mapElement.classList.toggle("map-pointing", map.hasFeatureAtPixel(event.pixel, { hitTolerance: 4 }));
});
map.on("click", (event) => {
  const feature = map.forEachFeatureAtPixel(event.pixel, (found) => found, { hitTolerance: 4 });
  if (!feature) return;
  const id = feature.get("id");
  if (id !== undefined && options.incidentUrl) {
    window.location.assign(options.incidentUrl.replace("{id}", String(id)));
    return;
  }
  // A cluster: closer in, around it.
  const view = map.getView();
  const center = feature.getGeometry().getFlatCoordinates().slice(0, 2);
  view.animate({ center, zoom: Math.min(view.getZoom() + 2, view.getMaxZoom()), duration: 250 });
});

// "Only those in the map's view" keeps the list's bbox on what the map shows.
inView.closest("[data-in-view-label]").hidden = false;
const params = new URLSearchParams(window.location.search);
const anyFilter = [...params.keys()].some((name) => name !== "page");
inView.checked = params.has("bbox") || !anyFilter;

function viewBox() {
  return lonLatExtent(map)
    .map((n) => n.toFixed(5))
    .join(",");
}

let settling = null;
map.on("moveend", () => {
  if (!inView.checked) return;
  clearTimeout(settling);
  settling = setTimeout(() => {
    const box = viewBox();
    if (box === bbox.value) return;
    bbox.value = box;
    refreshList();
  }, MOVE_SETTLES_MS);
});
inView.addEventListener("change", (event) => {
  event.stopPropagation(); // not a filter of its own: the bbox is
  bbox.value = inView.checked ? viewBox() : "";
  formChanged();
});

// --- the timeline --------------------------------------------------------------------------------------
const timelineElement = document.querySelector("[data-timeline]");
const timelineData = document.getElementById("case-timeline-data");
if (timelineElement && timelineData) {
  const timeline = drawTimeline(timelineElement, JSON.parse(timelineData.textContent), {
    onBrush(from, to) {
      after.value = from || "";
      before.value = to || "";
      formChanged();
    },
  });
  timeline.select(after.value, before.value);
  for (const field of [after, before]) {
    field.addEventListener("change", () => timeline.select(after.value, before.value));
  }
}

// --- the counts: a status or a crime becomes the form's filter ----------------------------------------
for (const link of document.querySelectorAll("[data-filter-link]")) {
  link.addEventListener("click", (event) => {
    const chosen = new URL(link.href).searchParams;
    for (const name of ["status", "crime"]) {
      if (chosen.has(name)) {
        event.preventDefault();
        form.elements[name].value = chosen.get(name);
        formChanged();
        document.getElementById("case-list-heading").scrollIntoView({ behavior: "smooth" });
      }
    }
  });
}
