"""GET /api/v1/health/: is every part Slid depends on answering?"""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

import config
from config.celery import app as celery_app
from evidence.selectors.items import evidence_fixity_failures

BROKER_TIMEOUT_SECONDS = 3


def check_database() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT PostGIS_Lib_Version()")
        (postgis_version,) = cursor.fetchone()
    return {"database": "ok", "postgis": postgis_version}


def check_broker() -> dict[str, str]:
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    return {"broker": "ok"}


def check_storage() -> dict[str, str]:
    # The intake store must accept a write; the archive is write-once, so it is only listed.
    intake = storages["intake"]
    probe = intake.save(f"health/{uuid.uuid4().hex}", ContentFile(b"ok"))
    intake.delete(probe)
    storages["archive"].exists("health")
    return {"storage": "ok"}


def check_fixity() -> dict[str, str]:
    failed = list(evidence_fixity_failures().values_list("ern", flat=True)[:10])
    if failed:
        raise RuntimeError(f"archived copies failed their fixity check: {', '.join(failed)}")
    return {"fixity": "ok"}


CHECKS = {"database": check_database, "broker": check_broker, "storage": check_storage, "fixity": check_fixity}


class HealthView(APIView):
    """200 when the database, PostGIS, the broker and the file stores work; 503 naming the part that does not."""

    authentication_classes: list = []  # public (api.access), and a stale token must not make it fail

    @extend_schema(
        responses={
            200: inline_serializer("Health", {name: serializers.CharField() for name in ("status", *CHECKS)}),
            503: inline_serializer("HealthFailure", {name: serializers.CharField() for name in ("status", *CHECKS)}),
        }
    )
    def get(self, request):
        report: dict[str, str] = {"status": "ok"}
        for name, check in CHECKS.items():
            try:
                report.update(check())
            except Exception as error:  # noqa: BLE001 - any failure of a part is reported, not raised
                report[name] = f"error: {type(error).__name__}: {error}"[:300]
                report["status"] = "error"
        report["version"] = config.__version__
        code = status.HTTP_200_OK if report["status"] == "ok" else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(report, status=code)
