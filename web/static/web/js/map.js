// Slid's maps, over OpenLayers (the global `ol` of the vendored dist/ol.js: {% load maps %}{% map_assets %}
// in the page's head, before its module).
//
//   <div class="map" id="where" {% map_attributes %} role="region" aria-label="…"></div>
//   import { createMap, readGeoJSON, vectorLayer } from "./map.js";
//   const map = createMap(document.getElementById("where"), { center: [30.22, 50.54], zoom: 12 });
//   map.addLayer(vectorLayer(readGeoJSON(geoJSON)));
//
// The base map, bottom up: the country's land (Slid's outline), the tiles of SLID_MAP_TILE_URL, the admin
// areas' boundaries (vector tiles from Slid) and the border. Without a reachable tile server the map works
// over the outline and the boundaries, and says so. Coordinates are [lon, lat] and extents [minlon, minlat,
// maxlon, maxlat] wherever this module takes or gives them; OpenLayers' own objects are in Web Mercator.
//   createMap(element, {center, zoom, extent, layers, interactive}) -> ol.Map
//   vectorLayer(features, {style}) -> ol.layer.Vector
//   readGeoJSON(geometry | Feature | FeatureCollection) -> ol.Feature[]; writeGeoJSON(geometry) -> GeoJSON
//   toMap([lon, lat]), toLonLat(coordinate); fitLonLat(map, extent, {maxZoom, padding}); lonLatExtent(map)
//   incidentLayer(urlTemplate) -> a case's incidents from its cluster tiles (the case home)
//   STYLES.incident, STYLES.selected

const ol = globalThis.ol;
const DATA = "EPSG:4326";
const VIEW = "EPSG:3857";
// The middle of Ukraine, the whole country in view on a laptop's screen.
const HOME = { center: [31.2, 48.4], zoom: 5.6 };
// Tiles that failed before any loaded: then the tile server is taken as unreachable.
const FAILURES_BEFORE_OFFLINE = 3;

const INK = "#1f3a5f";
const ACCENT = "#a4262c";

export const STYLES = {
  incident: new ol.style.Style({
    fill: new ol.style.Fill({ color: "rgba(164, 38, 44, 0.2)" }),
    stroke: new ol.style.Stroke({ color: ACCENT, width: 2 }),
    image: new ol.style.Circle({
      radius: 6,
      fill: new ol.style.Fill({ color: ACCENT }),
      stroke: new ol.style.Stroke({ color: "#ffffff", width: 2 }),
    }),
  }),
  selected: new ol.style.Style({
    fill: new ol.style.Fill({ color: "rgba(31, 58, 95, 0.25)" }),
    stroke: new ol.style.Stroke({ color: INK, width: 3 }),
    image: new ol.style.Circle({
      radius: 8,
      fill: new ol.style.Fill({ color: INK }),
      stroke: new ol.style.Stroke({ color: "#ffffff", width: 2 }),
    }),
  }),
};

const LAND = new ol.style.Style({ fill: new ol.style.Fill({ color: "#f3f1ea" }) });
const BORDER = new ol.style.Style({ stroke: new ol.style.Stroke({ color: "#56616d", width: 1.5 }) });
const AREA = new ol.style.Style({
  stroke: new ol.style.Stroke({ color: "rgba(86, 97, 109, 0.55)", width: 0.8, lineDash: [4, 3] }),
});

export function toMap(lonLat) {
  return ol.proj.fromLonLat(lonLat, VIEW);
}

export function toLonLat(coordinate) {
  return ol.proj.toLonLat(coordinate, VIEW);
}

export function readGeoJSON(object) {
  const format = new ol.format.GeoJSON({ dataProjection: DATA, featureProjection: VIEW });
  if (!object) return [];
  if (object.type === "FeatureCollection" || object.type === "Feature") return format.readFeatures(object);
  return [new ol.Feature(format.readGeometry(object))];
}

export function writeGeoJSON(geometry) {
  const format = new ol.format.GeoJSON({ dataProjection: DATA, featureProjection: VIEW });
  return format.writeGeometryObject(geometry, { decimals: 7 });
}

export function vectorLayer(features = [], { style = STYLES.incident } = {}) {
  return new ol.layer.Vector({ source: new ol.source.Vector({ features }), style, zIndex: 10 });
}

export function fitLonLat(map, extent, { maxZoom = 15, padding = [24, 24, 24, 24] } = {}) {
  const size = map.getSize();
  map.getView().fit(ol.proj.transformExtent(extent, DATA, VIEW), { maxZoom, padding, size });
}

export function lonLatExtent(map) {
  const extent = map.getView().calculateExtent(map.getSize());
  const [minLon, minLat, maxLon, maxLat] = ol.proj.transformExtent(extent, VIEW, DATA);
  // The view can reach past the poles and round the world; a filter cannot.
  return [Math.max(minLon, -180), Math.max(minLat, -90), Math.min(maxLon, 180), Math.min(maxLat, 90)];
}

/** The base layers drawn from the element's data- attributes ({% map_attributes %}). */
export function baseLayers(element) {
  const layers = [];
  const outline = element.dataset.mapOutline;
  const outlineSource = outline
    ? new ol.source.Vector({ url: outline, format: new ol.format.GeoJSON({ featureProjection: VIEW }) })
    : null;
  if (outlineSource) layers.push(new ol.layer.Vector({ source: outlineSource, style: LAND, zIndex: 0 }));
  const tiles = element.dataset.mapTiles;
  if (tiles) layers.push(tileLayer(element, tiles, element.dataset.mapAttribution || ""));
  if (element.dataset.mapAreas) {
    layers.push(
      new ol.layer.VectorTile({
        source: new ol.source.VectorTile({
          format: new ol.format.MVT(),
          url: element.dataset.mapAreas,
          tileGrid: ol.tilegrid.createXYZ({ maxZoom: 14, tileSize: 512 }),
        }),
        style: AREA,
        zIndex: 2,
      }),
    );
  }
  if (outlineSource) layers.push(new ol.layer.Vector({ source: outlineSource, style: BORDER, zIndex: 3 }));
  if (!tiles) element.classList.add("map-offline");
  return layers;
}

function tileLayer(element, url, attribution) {
  const source = new ol.source.XYZ({ url, maxZoom: 19, attributions: escapeHtml(attribution) });
  const layer = new ol.layer.Tile({ source, zIndex: 1 });
  let loaded = 0;
  let failed = 0;
  source.on("tileloadend", () => {
    loaded += 1;
  });
  source.on("tileloaderror", () => {
    failed += 1;
    if (loaded === 0 && failed === FAILURES_BEFORE_OFFLINE) {
      layer.setVisible(false);
      element.classList.add("map-offline");
      element.dispatchEvent(new CustomEvent("map:offline", { bubbles: true }));
    }
  });
  return layer;
}

// OpenLayers writes attributions as HTML; the setting is text.
function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

/** A note over the map, shown once the tiles are known to be unreachable (or there are none). */
function offlineNote(element) {
  const note = document.createElement("p");
  note.className = "map-note";
  note.textContent = element.dataset.mapOfflineText || "";
  note.hidden = !element.classList.contains("map-offline");
  element.addEventListener("map:offline", () => {
    note.hidden = false;
  });
  return new ol.control.Control({ element: note });
}

export function createMap(element, { center, zoom, extent, layers = [], interactive = true } = {}) {
  // Keys move and zoom the map when it has the focus (arrows, + and -).
  if (interactive && !element.hasAttribute("tabindex")) element.tabIndex = 0;
  const map = new ol.Map({
    target: element,
    layers: [...baseLayers(element), ...layers],
    view: new ol.View({
      center: toMap(center || HOME.center),
      zoom: zoom ?? HOME.zoom,
      minZoom: 3,
      maxZoom: 19,
      constrainResolution: false,
    }),
    controls: ol.control.defaults
      .defaults({ attributionOptions: { collapsible: false }, rotate: false })
      .extend([new ol.control.ScaleLine(), offlineNote(element)]),
    interactions: interactive ? ol.interaction.defaults.defaults({ altShiftDragRotate: false, pinchRotate: false }) : [],
    keyboardEventTarget: interactive ? element : undefined,
  });
  if (extent) fitLonLat(map, extent);
  return map;
}

// Clusters: a disc whose size grows with the number of incidents in it, the number written on it.
const clusterStyles = new Map();

function abbreviated(count) {
  if (count < 1000) return String(count);
  if (count < 10000) return `${(count / 1000).toFixed(1)}k`;
  if (count < 1000000) return `${Math.round(count / 1000)}k`;
  return `${(count / 1000000).toFixed(1)}M`;
}

function clusterStyle(count) {
  const key = abbreviated(count);
  if (!clusterStyles.has(key)) {
    const radius = Math.min(8 + 4 * Math.log10(count) * 2, 30);
    clusterStyles.set(
      key,
      new ol.style.Style({
        image: new ol.style.Circle({
          radius,
          fill: new ol.style.Fill({ color: "rgba(164, 38, 44, 0.82)" }),
          stroke: new ol.style.Stroke({ color: "#ffffff", width: 2 }),
        }),
        text: new ol.style.Text({
          text: key,
          font: "600 12px system-ui, sans-serif",
          fill: new ol.style.Fill({ color: "#ffffff" }),
        }),
      }),
    );
  }
  return clusterStyles.get(key);
}

/** The incidents of a case, from the cluster tiles at ``urlTemplate`` (…?z={z}&x={x}&y={y}): a feature
 * with ``count`` above 1 is a cluster; one with an ``id`` is an incident, with its ``title``. */
export function incidentLayer(urlTemplate, { selected = () => false } = {}) {
  return new ol.layer.VectorTile({
    source: new ol.source.VectorTile({
      format: new ol.format.MVT(),
      url: urlTemplate,
      tileGrid: ol.tilegrid.createXYZ({ maxZoom: 16, tileSize: 512 }),
    }),
    style: (feature) => {
      const count = feature.get("count") || 1;
      if (count > 1 || feature.get("id") === undefined) return clusterStyle(count);
      return selected(feature) ? STYLES.selected : STYLES.incident;
    },
    renderMode: "hybrid",
    zIndex: 20,
  });
}
