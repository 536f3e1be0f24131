"""OpenAPI schema adjustments, loaded by ApiConfig.ready()."""

from drf_spectacular.contrib.rest_framework_gis import GeoFeatureModelSerializerExtension


class GeoFeatureRequestSafeExtension(GeoFeatureModelSerializerExtension):
    """drf-spectacular's GeoJSON extension expects the read-only ``id`` in request schemas too
    (COMPONENT_SPLIT_REQUEST leaves it out) and fails; a request Feature simply has no id."""

    priority = 1

    def map_geo_feature_model_serializer(self, serializer, base_schema):
        id_field = serializer.Meta.id_field
        if not id_field or id_field in base_schema["properties"]:
            return super().map_geo_feature_model_serializer(serializer, base_schema)
        base_schema["properties"][id_field] = {}
        schema = super().map_geo_feature_model_serializer(serializer, base_schema)
        schema["properties"].pop("id")
        return schema
