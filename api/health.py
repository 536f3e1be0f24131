"""GET /api/v1/health/: is every part Slid depends on answering?

Anyone may ask whether the service is alive: the answer names each part "ok" or "error" and nothing
else, and asking writes nothing (not even a token's last use). Staff (signed in) also get the reasons,
the PostGIS version, and the details: archived copies that failed their fixity check, work waiting,
work stuck, archived files waiting for an RFC 3161 timestamp (how many, how many failing, the last
reason), archived files with fewer good copies than SLID_ARCHIVE_MIN_COPIES, and whether each replica
store answers. The ERNs in those details are only those of cases the staff user is a member of (all of
them for superusers).

Asking must not tie up the web threads: the broker is given half a second to connect and half a second
to answer, and the public answer is kept PUBLIC_ANSWER_SECONDS, checked by one request at a time."""

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from kombu.exceptions import ChannelError
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.views import APIView
from storages.backends.s3 import S3Storage

import config
from api.auth.authentication import ApiTokenAuthentication, SecondFactorSessionAuthentication
from config.celery import app as celery_app
from evidence import replication
from evidence.selectors.checkpoints import health_checkpoints
from evidence.selectors.copies import replica_stores
from evidence.selectors.health import (
    health_copies,
    health_fixity_failures,
    health_queue,
    health_stuck,
    health_timestamps,
)

# To connect to the broker, and again for each answer from it: a broker that takes the connection and
# then says nothing (hung, or its answers lost) holds a request about a second, never longer.
BROKER_TIMEOUT_SECONDS = 0.5
PUBLIC_ANSWER_SECONDS = 2.0
# The web process writes uploads into the intake store and reads the archive and the packages.
WRITTEN_STORES = ("intake",)
READ_STORES = ("archive", "exports")


def check_database() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT PostGIS_Lib_Version()")
        (postgis_version,) = cursor.fetchone()
    return {"database": "ok", "postgis": postgis_version}


def _broker():
    """A connection to the broker, made once (no retry) and with its timeouts bounded."""
    timeouts = {"socket_connect_timeout": BROKER_TIMEOUT_SECONDS, "socket_timeout": BROKER_TIMEOUT_SECONDS}
    broker = celery_app.connection_for_write(
        settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=timeouts
    )
    try:
        broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    except BaseException:
        broker.release()
        raise
    return broker


def check_broker() -> dict[str, str]:
    with _broker():
        return {"broker": "ok"}


def check_storage() -> dict[str, str]:
    """Looks at each store without writing to it: a probe file per request would pile up writes (and, on
    S3 with Object Lock, objects that cannot be deleted)."""
    for name in (*WRITTEN_STORES, *READ_STORES):
        _look_at(storages[name], writable=name in WRITTEN_STORES)
    return {"storage": "ok"}


def _look_at(store: Storage, *, writable: bool) -> None:
    if not isinstance(store, FileSystemStorage):
        store.exists("health")  # S3: a HEAD request, which needs the bucket and the credentials
        return
    # The store makes its folder on its first write; until then the nearest folder above must allow that.
    folder = Path(store.location)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    mode = os.R_OK | os.X_OK | (os.W_OK if writable else 0)
    if not folder.is_dir() or not os.access(folder, mode):
        raise OSError(f"{folder} is not a folder this process may {'write' if writable else 'read'}")


def replicas_reachable() -> dict[str, str]:
    """Each replica store: "ok" if it answers, else why not. A replica that is down does not stop the service
    (its copies wait and are retried), so it is a staff detail, not part of the liveness answer."""
    reachable = {}
    for name in replica_stores():
        store = storages[name]
        try:
            if isinstance(store, S3Storage):
                replication.probe_s3(store)  # short timeouts, no retry, and not asked again while down
            else:
                _look_at(store, writable=False)
            reachable[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure of a store is reported, not raised
            reachable[name] = f"error: {type(error).__name__}: {error}"[:300]
    return reachable


LIVENESS = {"database": check_database, "broker": check_broker, "storage": check_storage}


def broker_queue_depth() -> int:
    """Messages waiting in the Celery queue (a passive declare: nothing is created)."""
    with _broker() as broker:
        try:
            declared = broker.default_channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=True)
        except ChannelError:
            return 0  # Redis drops an empty queue's key: no queue is an empty queue
        return declared.message_count


def staff_details(user) -> tuple[dict, bool]:
    """The details for staff, and whether they show a fault (an archived copy failed its fixity check, or a
    checkpoint's build found the one before it changed in the last week)."""
    fixity = health_fixity_failures(user=user)
    queue = health_queue()
    try:
        queue["broker"] = broker_queue_depth()
    except Exception as error:  # noqa: BLE001 - the broker's own line says whether it answers
        queue["broker"] = f"error: {type(error).__name__}: {error}"[:300]
    details = {
        "fixity_failures": fixity,
        "queue": queue,
        "stuck": health_stuck(user=user),
        # Not a fault of the service: archiving goes on, and the sweep asks again.
        "timestamps": health_timestamps(user=user),
        # Not a fault either while the replication task and the sweep work on it; a copy that failed fixity
        # and could not be repaired is one (fixity_failures).
        "copies": {**health_copies(user=user), "reachable": replicas_reachable()},
        "checkpoints": (checkpoints := health_checkpoints()),
    }
    return details, fixity["count"] > 0 or checkpoints["alarm"]


def _fixity_line(failed: int) -> str:
    if not failed:
        return "ok"
    return f"error: {failed} archived {'copy' if failed == 1 else 'copies'} failed the last fixity check"


def check_liveness() -> tuple[dict, dict[str, str]]:
    """(the report: "ok" or "error" for each part, the PostGIS version; the reason of each part in error)."""
    report: dict = {"status": "ok"}
    reasons: dict[str, str] = {}
    for name, check in LIVENESS.items():
        try:
            report.update(check())
        except Exception as error:  # noqa: BLE001 - any failure of a part is reported, not raised
            report[name] = "error"
            reasons[name] = f"error: {type(error).__name__}: {error}"[:300]
            report["status"] = "error"
    return report, reasons


class PublicAnswers:
    """The public answer, kept ``PUBLIC_ANSWER_SECONDS`` in this process, and found by one request at a
    time: however often anyone asks, the parts are checked at most once in that time per process, and
    requests at once wait for that one check instead of each holding a thread for its own. Kept in the
    process, not in the Redis cache: by default that is the broker's Redis, the part most likely to hang."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: tuple[float, dict] | None = None

    def get(self, check: Callable[[], dict]) -> dict:
        with self._lock:
            if self._kept is None or time.monotonic() - self._kept[0] >= PUBLIC_ANSWER_SECONDS:
                self._kept = (time.monotonic(), check())
            return dict(self._kept[1])

    def clear(self) -> None:
        with self._lock:
            self._kept = None


public_answers = PublicAnswers()


def _public_report() -> dict:
    report, _ = check_liveness()
    report.pop("postgis", None)
    return report


class _ReadOnly:
    """Who is asking, for the health check only: a bad or stale credential counts as none (the liveness
    answer is for anyone), and a token's use is not recorded (asking writes nothing)."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            return None


class HealthTokenAuthentication(_ReadOnly, ApiTokenAuthentication):
    record_use = False


class HealthSessionAuthentication(_ReadOnly, SecondFactorSessionAuthentication):
    pass


PART = serializers.CharField(help_text='"ok", or "error" (for staff: "error: " and the reason)')


class HealthView(APIView):
    """200 when the database, PostGIS, the broker and the file stores work; 503 naming the part that does not.
    Staff also see the details, and a failed fixity check makes their answer 503 too."""

    authentication_classes = [HealthTokenAuthentication, HealthSessionAuthentication]

    @extend_schema(
        auth=[{"tokenAuth": []}, {"cookieAuth": []}, {}],  # what the API's own credentials are; or none
        responses={
            code: inline_serializer(
                name,
                {
                    "status": PART,
                    **dict.fromkeys(LIVENESS, PART),
                    "version": serializers.CharField(),
                    "postgis": serializers.CharField(required=False, help_text="staff only"),
                    "fixity": serializers.CharField(required=False, help_text="staff only"),
                    "details": serializers.DictField(
                        required=False, help_text="staff only: fixity_failures, queue, stuck, timestamps, copies"
                    ),
                },
            )
            for code, name in ((200, "Health"), (503, "HealthFailure"))
        },
    )
    def get(self, request):
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return self._answer(public_answers.get(_public_report))
        # Staff get the parts checked now, with the reasons and the details (not kept: they are few).
        report, reasons = check_liveness()
        report.update(reasons)
        if report.get("database") == "ok":
            report["details"], fault = staff_details(user)
            report["fixity"] = _fixity_line(report["details"]["fixity_failures"]["count"])
            checkpoints = report["details"]["checkpoints"]
            if checkpoints["alarm"]:
                report["checkpoints"] = f"error: a checkpoint's build found: {checkpoints['last_anomaly']}"[:300]
            if fault:
                report["status"] = "error"
        return self._answer(report)

    def _answer(self, report: dict) -> Response:
        report["version"] = config.__version__
        code = status.HTTP_200_OK if report["status"] == "ok" else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(report, status=code)
