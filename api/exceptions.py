"""Every API error is JSON: domain errors become 4xx answers that name the field and the reason, a
write that lost a race to a unique constraint is a 409 naming the field, and an unavailable database
is a 503 with Retry-After. Django's own error pages (handler400/403/404/500 in config.urls) answer JSON
under /api/ too, and never show a traceback."""

import errno
import logging
import sys

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from api.downloads import RangeNotSatisfiable
from evidence.errors import DomainError, NotAllowed

logger = logging.getLogger(__name__)

# How long a client should wait before trying again after a 503 (the database restarting, failing over).
RETRY_AFTER_SECONDS = 30
# ... and after a 507: a full disk is for an operator to fix, which takes longer.
DISK_FULL_RETRY_AFTER_SECONDS = 300
DISK_FULL = {errno.ENOSPC, errno.EDQUOT}

# The field each unique constraint is about, and what to tell the client. A service checks these
# itself first (a clear 400); two requests at the same moment can both pass that check, and the
# second then meets the constraint.
UNIQUE_CONFLICTS: dict[str, tuple[str, Promise]] = {
    "evidence_link_once": ("incident", _("The item is already linked to this incident.")),
    "evidence_case_reference_key": ("reference", _("A case with this reference already exists.")),
    "export_profile_name_once_per_case": ("name", _("A profile with this name already exists.")),
    "export_profile_shared_name_once": ("name", _("A profile with this name already exists.")),
    "membership_one_per_user_and_case": ("user", _("The user is already a member of this case.")),
    "apitoken_one_per_device": ("name", _("Another login for this device happened at the same moment.")),
}
UNIQUE_VIOLATION = "23505"
# SQLSTATEs meaning "another transaction got in the way": the same request succeeds when sent again.
TRANSACTION_ROLLBACK = "40"


def exception_handler(exc, context) -> Response | None:
    if isinstance(exc, NotAllowed) and exc.field:
        # Refused for the role, about one field of the request (taking the exculpatory mark off): named as a 400 is.
        return Response({exc.field: [exc.message]}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(exc.message)
    elif isinstance(exc, DomainError):
        detail = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, DjangoValidationError):
        return Response(as_serializer_error(exc), status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        body, status_code = unreadable_body_answer(exc)
        return Response(body, status=status_code)
    elif isinstance(exc, IntegrityError) and _sqlstate(exc) == UNIQUE_VIOLATION:
        set_rollback()
        return Response(conflict_body(exc), status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, OperationalError | InterfaceError):
        set_rollback()
        body, headers = database_unavailable_answer(exc)
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)
    elif isinstance(exc, OSError) and exc.errno in DISK_FULL:
        set_rollback()
        return Response(*disk_full_answer(exc))
    response = drf_exception_handler(exc, context)
    if isinstance(exc, RangeNotSatisfiable) and response is not None:
        response["Content-Range"] = f"bytes */{exc.size}"  # RFC 9110 §15.5.17: the current length
    return response


def unreadable_body_answer(exc: Exception) -> tuple[dict, int]:
    """What Django refuses to read (its DATA_UPLOAD_* limits), and why: a 413, or a 400 naming the limit."""
    if isinstance(exc, RequestDataTooBig):
        detail = gettext("The request body is larger than {limit} bytes; files go in multipart uploads.")
        return {"detail": detail.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}, 413
    if isinstance(exc, TooManyFilesSent):
        detail = gettext("The request has more than {limit} files; send fewer at a time.")
        return {"detail": detail.format(limit=settings.DATA_UPLOAD_MAX_NUMBER_FILES)}, 400
    detail = gettext("The request has more than {limit} fields (query parameters and form fields together).")
    return {"detail": detail.format(limit=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}, 400


def disk_full_answer(exc: OSError) -> tuple[dict, int, None, dict]:
    """A store with no room left: 507, and nothing of the upload was kept (the services clean up)."""
    logger.error("No room left to store an upload: %s", exc)
    detail = gettext("The server has no room left to store this file; nothing was kept. Try again later.")
    return (
        {"detail": detail},
        status.HTTP_507_INSUFFICIENT_STORAGE,
        None,
        {"Retry-After": str(DISK_FULL_RETRY_AFTER_SECONDS)},
    )


def conflict_body(exc: IntegrityError) -> dict:
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    if constraint in UNIQUE_CONFLICTS:
        field, message = UNIQUE_CONFLICTS[constraint]
        return {field: [str(message)]}
    logger.warning("Unique constraint %s has no field in api.exceptions.UNIQUE_CONFLICTS: %s", constraint, exc)
    return {"detail": gettext("This conflicts with a record written at the same moment; reload and try again.")}


def database_unavailable_answer(exc: OperationalError | InterfaceError) -> tuple[dict, dict]:
    """The JSON body and headers of a 503 for a database that could not answer."""
    if (_sqlstate(exc) or "").startswith(TRANSACTION_ROLLBACK):
        detail = gettext("The request met another one at the same moment and was undone; send it again.")
        retry_after = 1
    else:
        logger.error("The database is unavailable: %s: %s", type(exc).__name__, exc)
        detail = gettext("The database is unavailable at the moment; try again shortly.")
        retry_after = RETRY_AFTER_SECONDS
    return {"detail": detail}, {"Retry-After": str(retry_after)}


def _sqlstate(exc: Exception) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


# --- Django's error views (config.urls): JSON under /api/, Django's pages elsewhere ---------------


def _is_api(request: HttpRequest) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400s, raised before any view: a body or query over Django's limits, a Host header not
    in ALLOWED_HOSTS, and other requests Django will not read."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
            body, status_code = unreadable_body_answer(exception)
            return JsonResponse(body, status=status_code)
        if isinstance(exception, DisallowedHost):
            detail = gettext("This server does not answer to the host named in the request (DJANGO_ALLOWED_HOSTS).")
            return JsonResponse({"detail": detail}, status=400)
        return JsonResponse({"detail": gettext("The request could not be understood.")}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": gettext("You may not do this.")}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        detail = gettext("There is no API route {path}; the routes are listed at /api/v1/ and /api/v1/docs/.")
        return JsonResponse({"detail": detail.format(path=request.path)}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """An exception no view handled: Django calls this from inside its ``except`` block, so the
    exception is in sys.exc_info(). It has been logged already; the client never sees a traceback."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        body, headers = database_unavailable_answer(exc)
        if _is_api(request):
            response = JsonResponse(body, status=503)
        else:
            response = HttpResponse(body["detail"], content_type="text/plain; charset=utf-8", status=503)
        response["Retry-After"] = headers["Retry-After"]
        return response
    if isinstance(exc, OSError) and exc.errno in DISK_FULL and _is_api(request):
        body, status_code, _, headers = disk_full_answer(exc)
        response = JsonResponse(body, status=status_code)
        response["Retry-After"] = headers["Retry-After"]
        return response
    if _is_api(request):
        return JsonResponse({"detail": gettext("An internal error occurred; it has been logged.")}, status=500)
    return defaults.server_error(request)
