"""OpenAPI schema adjustments, loaded by ApiConfig.ready()."""

from drf_spectacular.contrib.rest_framework_gis import GeoFeatureModelSerializerExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from api.fields import CASE_REFERENCE


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


class UserCaseFieldExtension(OpenApiSerializerFieldExtension):
    """A case in a request is its id or its reference; in a response, its id."""

    target_class = "api.fields.UserCaseField"

    def map_serializer_field(self, auto_schema, direction) -> dict:
        if direction == "response":
            return {"type": "integer"}
        return {
            "oneOf": [
                {"type": "integer", "description": "The case's id."},
                {"type": "string", "pattern": CASE_REFERENCE.pattern, "description": "The case's reference."},
            ],
            "description": "The case's id, or its reference (UA-2022-BUCHA).",
        }


def multipart_bodies_for_swagger_ui(result: dict, generator, request, public) -> dict:
    """Multipart bodies (the upload) that Swagger UI's "Try it out" sends as Slid reads them, a
    drf-spectacular postprocessing hook:

    - a list is one form field per value (``incidents=1``, ``incidents=2``), said in the body's
      ``encoding`` (OpenAPI 3.0 §4.7.15); without it Swagger UI joins the values with commas;
    - an optional field's example is empty, which Slid reads as not given; without one Swagger UI fills
      every field with a made-up value ("string", 0, the first choice, the current time) and sends it,
      so that a user who touched nothing would upload with ``confidentiality=public``."""
    components = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            content = (operation.get("requestBody") or {}).get("content", {}) if isinstance(operation, dict) else {}
            body = content.get("multipart/form-data")
            if not body:
                continue
            schema = body.get("schema", {})
            if "$ref" in schema:
                schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
            required = set(schema.get("required", []))
            properties = schema.get("properties", {})
            for name, field in properties.items():
                if field.get("type") == "array":
                    body.setdefault("encoding", {}).setdefault(name, {"style": "form", "explode": True})
                if name in required or field.get("readOnly") or field.get("format") == "binary":
                    continue
                choices = components.get(field.get("$ref", "").rsplit("/", 1)[-1], {})
                if "enum" in choices:  # a choice: left empty, not the first one (an example beside $ref is ignored)
                    field = properties[name] = {**choices, "enum": ["", *choices["enum"]]}
                field.setdefault("example", [] if field.get("type") == "array" else "")
    return result
