/* global ol, MapWidget */
'use strict';
// Starts each map of geo.widgets.OfflineMapWidget from its JSON options. The base layer is drawn here,
// not fetched: a graticule, and the country's outline when Slid has one. Nothing comes from another origin.
document.addEventListener('DOMContentLoaded', function() {
    document.querySelectorAll('.dj_map_wrapper > script[type="application/json"]').forEach(function(element) {
        const options = JSON.parse(element.textContent);
        const layers = [new ol.layer.Graticule({showLabels: true, wrapX: false})];
        if (options.outline) {
            const features = new ol.format.GeoJSON().readFeatures(options.outline, {
                dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857'
            });
            layers.unshift(new ol.layer.Vector({
                source: new ol.source.Vector({features: features}),
                style: new ol.style.Style({
                    fill: new ol.style.Fill({color: 'rgba(240, 236, 220, 1)'}),
                    stroke: new ol.style.Stroke({color: '#8a8060', width: 1})
                })
            }));
        }
        options.base_layer = new ol.layer.Group({layers: layers});
        window[options.module] = new MapWidget(options);
    });
});
