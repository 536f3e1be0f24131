"""Uploading evidence from the browser: the page, the resumable upload (the tus protocol, v1.0.0, with its
creation and termination extensions) and the receipt.

The routes live in the workspace (the session, CSRF in the X-CSRFToken header) and a case's rule is the
API upload's (WRITE, evidence.selectors.access). An upload is its owner's alone: anyone else, another
member of the case included, gets 404 for it. The decisions are evidence.services.resumable's; what a
complete file becomes is evidence.services.intake's, as for the API.

    POST   /cases/<ref>/uploads/                 creation: Upload-Length, Upload-Metadata -> 201 Location
    HEAD   /cases/<ref>/uploads/<id>/            Upload-Offset, Upload-Length
    PATCH  /cases/<ref>/uploads/<id>/            application/offset+octet-stream at Upload-Offset -> 204
    DELETE /cases/<ref>/uploads/<id>/            termination -> 204
    GET    /cases/<ref>/uploads/?id=…&id=…       how far each has come (JSON, polled by the page)
"""

import base64
import binascii
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence.errors import DomainError
from evidence.selectors.items import evidence_list
from evidence.selectors.uploads import upload_get, upload_status, upload_status_list
from evidence.services.resumable import (
    TUS_VERSION,
    UploadConflict,
    UploadGone,
    UploadTooLarge,
    disk_full,
    upload_append,
    upload_create,
    upload_terminate,
)
from web.pages import Page
from web.upload_forms import IntakeFieldsForm

TUS_EXTENSIONS = "creation,termination"
TUS_CONTENT_TYPE = "application/offset+octet-stream"
METADATA_MAX_LENGTH = 8000  # what is left of a proxy's 8 KiB for one header
METADATA_KEY = re.compile(r"[!-+\--~]+")  # printable ASCII without space and comma
# What the page sends with each file; "filetype" and "name"/"type" (Uppy) are the client's and not kept.
METADATA_FIELDS = {
    "filename", "sha256", "title", "kind", "source_type", "source", "source_url", "captured_at", "acquired_at",
    "confidentiality", "incidents", "protected_persons",
}  # fmt: skip
METADATA_IGNORED = {"filetype", "name", "type"}
LIST_FIELDS = ("incidents", "protected_persons")
STATUS_IDS_MAX = 500
RECEIPT_ITEMS_MAX = 1000
DIGITS = re.compile(r"\d{1,19}")
STATUS_OF = {UploadConflict: 409, UploadTooLarge: 413, UploadGone: 410}


class UploadPage(Page):
    """Drop files (or a folder); each is hashed in the browser, sent in resumable pieces, then followed
    through intake until it is archived; the batch's fields apply to every file unless set for one."""

    template_name = "web/upload.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        case = self.case
        return self.render(
            {
                "batch_form": IntakeFieldsForm(user=request.user, case=case, prefix="batch"),
                "file_form": IntakeFieldsForm(user=request.user, case=case, prefix="each", per_file=True),
                "max_upload_bytes": settings.SLID_MAX_UPLOAD_BYTES,
                "chunk_bytes": settings.SLID_UPLOAD_CHUNK_BYTES,
                "hash_worker": static("web/js/upload-hash-worker.js"),
                "script_text": script_text(),
            }
        )


def script_text() -> dict[str, Any]:
    """What web/static/web/js/upload.js says, in the page's language; {name} is filled in by the script."""
    stages = {
        "sent": _("Sent"), "receiving": _("Sending"), "received": _("Received"), "hashed": _("Hashed"),
        "archived": _("Archived"), "duplicate": _("Duplicate"), "corrupt": _("Corrupt"), "failed": _("Failed"),
        "terminated": _("Cancelled"), "expired": _("Expired"),
    }  # fmt: skip
    states = {
        "hashing": _("Computing SHA-256"), "ready": _("Ready"), "waiting": _("Waiting"), "uploading": _("Sending"),
        "retrying": _("Reconnecting"), "paused": _("Paused"), "cancelled": _("Cancelled"), "failed": _("Refused"),
    }  # fmt: skip
    return {
        "units": [_("bytes"), _("KiB"), _("MiB"), _("GiB"), _("TiB")],
        "progressOf": _("Progress of {name}"),
        "empty": _("The file is empty; nothing to send."),
        "tooLarge": _("The file is larger than the limit of {limit}."),
        "hashing": _("Computing its SHA-256 in your browser: {percent} %"),
        "yourHash": _("SHA-256 computed by your browser: {sha256}"),
        "hashFailed": _("Its SHA-256 could not be computed in this browser ({reason})."),
        "ready": _("Ready to send."),
        "waiting": _("Waiting for its turn."),
        "starting": _("Connecting…"),
        "uploading": _("Sending: {sent} of {total} ({percent} %)"),
        "resumed": _("Going on from {from}, where it stopped: {sent} of {total} ({percent} %)"),
        "retrying": _("The connection dropped; trying again from where it stopped…"),
        "paused": _("Paused. It goes on from here, also after you close this page: add the same file again."),
        "cancelled": _("Cancelled; what was sent is removed."),
        "sent": _("Every byte is in; waiting for intake."),
        "network": _("The connection failed; add the file again to go on from where it stopped."),
        "status": {
            "403": _("Not allowed: your session ended or your role does not allow uploading. Sign in again."),
            "404": _("The server does not know this upload; add the file again."),
            "413": _("The file is larger than the server accepts."),
        },
        "statusOther": _("The server refused it (HTTP {status})."),
        "pause": _("Pause"),
        "resume": _("Resume"),
        "cancel": _("Cancel"),
        "remove": _("Remove"),
        "ern": _("Evidence number {ern}"),
        "matches": _("The bytes we received are the bytes you had: the SHA-256 matches."),
        "mismatch": _(
            "Mismatch: the bytes we received have SHA-256 {received}, your browser computed {yours}. "
            "The file is kept as received and marked corrupt."
        ),
        "stage": stages,
        "state": states,
        "start": _("Send the files ({n})"),
        "summary": _("Files: {n} ({size}). {parts}"),
    }


def _json_error(message: str, status: int, *, field: str | None = None, errors: dict | None = None) -> JsonResponse:
    body: dict[str, Any] = {"detail": message}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status, headers={"Tus-Resumable": TUS_VERSION})


class TusPage(Page):
    """A route the page's script calls: when the session has ended it answers 403 saying so (a redirect to
    the sign-in page would reach the script as a page of HTML), and the protocol's headers go on every answer."""

    def _to_signin(self, request: HttpRequest) -> HttpResponse:
        return _json_error(_("Your session has ended: sign in again, then add the files again to go on."), 403)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        return response

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            response = _json_error(_("This server speaks tus %(version)s.") % {"version": TUS_VERSION}, 412)
            response["Tus-Version"] = TUS_VERSION
            return response
        return None

    def domain_error(self, error: DomainError) -> HttpResponse:
        status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 400)
        response = _json_error(error.message, status, field=error.field)
        if status == 413:
            response["Tus-Max-Size"] = str(settings.SLID_MAX_UPLOAD_BYTES)
        return response

    def unavailable(self, error: Exception) -> HttpResponse:
        """A full disk (507) or a database that went away (503): the script tries again later, from the offset."""
        if isinstance(error, OSError) and disk_full(error):
            response = _json_error(_("The server's disk is full; the upload goes on when there is room."), 507)
        else:
            response = _json_error(_("The server could not record this just now; it will be tried again."), 503)
        response["Retry-After"] = "30"
        return response


class UploadCollectionPage(TusPage):
    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        """How far each upload named (``?id=``) has come."""
        ids = request.GET.getlist("id")[: STATUS_IDS_MAX + 1]
        if len(ids) > STATUS_IDS_MAX:
            return _json_error(_("Ask for at most %(n)d uploads at once.") % {"n": STATUS_IDS_MAX}, 400, field="id")
        try:
            public_ids = [uuid.UUID(value) for value in ids]
        except ValueError:
            return _json_error(_("An upload id is not valid."), 400, field="id")
        return JsonResponse({"uploads": upload_status_list(user=request.user, case=self.case, public_ids=public_ids)})

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        """tus creation: an upload of Upload-Length bytes, with the file's name, its SHA-256 and its fields."""
        if refused := self.refusal(request):
            return refused
        if "Upload-Defer-Length" in request.headers:
            return _json_error(_("Give the file's length (Upload-Length)."), 400, field="Upload-Length")
        length = request.headers.get("Upload-Length", "")
        if not DIGITS.fullmatch(length):
            return _json_error(_("Upload-Length must be a number of bytes."), 400, field="Upload-Length")
        try:
            metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        except DomainError as error:
            return self.domain_error(error)
        data = {name: value for name, value in metadata.items() if name not in ("filename", "sha256")}
        for name in LIST_FIELDS:
            data[name] = [part.strip() for part in data.get(name, "").split(",") if part.strip()]
        form = IntakeFieldsForm(data, user=request.user, case=self.case)
        if not form.is_valid():
            errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
            name, messages = next(iter(errors.items()))
            return _json_error(f"{form.fields[name].label if name in form.fields else name}: {messages[0]}", 400,
                               field=name, errors=errors)  # fmt: skip
        try:
            upload = upload_create(
                actor=request.user,
                case=self.case,
                filename=metadata.get("filename", ""),
                length=int(length),
                submitted_sha256=metadata.get("sha256", ""),
                fields=form.intake_fields(),
                incidents=form.cleaned_data["incidents"],
                protected_persons=form.cleaned_data["protected_persons"],
            )
        except DomainError as error:
            return self.domain_error(error)
        except (OSError, DatabaseError) as error:
            return self.unavailable(error)
        location = reverse("web:upload-resource", kwargs={"reference": self.case.reference, "upload": upload.public_id})
        return HttpResponse(status=201, headers={"Location": location, "Upload-Offset": "0"})


def parse_metadata(header: str) -> dict[str, str]:
    """tus Upload-Metadata: ``key base64value`` pairs separated by commas, each key once."""
    if len(header) > METADATA_MAX_LENGTH:
        raise DomainError(
            _("The file's details are too long to send with it; shorten the source or the title."),
            field="Upload-Metadata",
        )
    metadata: dict[str, str] = {}
    for pair in header.split(","):
        if not pair.strip():
            continue
        key, _space, encoded = pair.strip().partition(" ")
        if not METADATA_KEY.fullmatch(key) or key in metadata:
            raise DomainError(_("Upload-Metadata names %(key)r wrongly or twice.") % {"key": key[:40]}, field=key[:40])
        if key not in METADATA_FIELDS | METADATA_IGNORED:
            raise DomainError(_("%(field)s cannot be set here.") % {"field": key[:40]}, field=key[:40])
        try:
            metadata[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise DomainError(
                _("The value of %(key)s is not base64 of UTF-8 text.") % {"key": key}, field=key
            ) from None
    for key in METADATA_IGNORED:
        metadata.pop(key, None)
    return metadata


class UploadResourcePage(TusPage):
    def _upload(self, request: HttpRequest, upload: uuid.UUID):
        return upload_get(user=request.user, case=self.case, public_id=upload)

    def _not_found(self) -> HttpResponse:
        return _json_error(_("No such upload of yours in this case."), 404)

    def head(self, request: HttpRequest, reference: str, upload: uuid.UUID) -> HttpResponse:
        """tus: the offset to go on from. An upload that can take no more bytes is gone (410)."""
        found = self._upload(request, upload)
        if found is None:
            return HttpResponse(status=404)
        if found.state not in ("receiving", "complete"):
            return HttpResponse(status=410)
        return HttpResponse(
            status=200, headers={"Upload-Offset": str(found.offset), "Upload-Length": str(found.length)}
        )

    def get(self, request: HttpRequest, reference: str, upload: uuid.UUID) -> HttpResponse:
        """How far this upload has come (JSON)."""
        found = self._upload(request, upload)
        if found is None:
            return self._not_found()
        statuses = upload_status_list(user=request.user, case=self.case, public_ids=[found.public_id])
        return JsonResponse(statuses[0] if statuses else upload_status(found, hashed=False))

    def patch(self, request: HttpRequest, reference: str, upload: uuid.UUID) -> HttpResponse:
        """tus: bytes at Upload-Offset. The last ones hand the file to intake before the answer."""
        found = self._upload(request, upload)
        if found is None:
            return self._not_found()
        if refused := self.refusal(request):
            return refused
        if request.content_type != TUS_CONTENT_TYPE:
            return _json_error(_("Send the bytes as %(type)s.") % {"type": TUS_CONTENT_TYPE}, 415, field="Content-Type")
        offset = request.headers.get("Upload-Offset", "")
        content_length = request.META.get("CONTENT_LENGTH", "")
        if not DIGITS.fullmatch(offset):
            return _json_error(_("Upload-Offset must be a number of bytes."), 400, field="Upload-Offset")
        if not DIGITS.fullmatch(content_length):
            return _json_error(_("Content-Length must be given."), 411, field="Content-Length")
        try:
            appended = upload_append(
                actor=request.user, upload=found, offset=int(offset), stream=request, content_length=int(content_length)
            )
        except DomainError as error:
            return self.domain_error(error)
        except (OSError, DatabaseError) as error:
            return self.unavailable(error)
        headers = {"Upload-Offset": str(appended.upload.offset)}
        if appended.complete:
            headers["Slid-Evidence-ERN"] = appended.upload.item.ern
        return HttpResponse(status=204, headers=headers)

    def delete(self, request: HttpRequest, reference: str, upload: uuid.UUID) -> HttpResponse:
        """tus termination: cancels the upload and removes its bytes (never evidence already received)."""
        found = self._upload(request, upload)
        if found is None:
            return self._not_found()
        if refused := self.refusal(request):
            return refused
        try:
            upload_terminate(actor=request.user, upload=found)
        except DomainError as error:
            return self.domain_error(error)
        return HttpResponse(status=204)


class ReceiptPage(Page):
    """A receipt an investigator keeps for the files received: for each, its ERN, name, size, the SHA-256
    of the bytes received beside the one their browser computed, and when. Printable; ``?format=text``
    downloads it as a text file whose last lines ``sha256sum --check`` reads."""

    template_name = "web/upload_receipt.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        # An ERN with NUL names nothing (and PostgreSQL refuses NUL in text).
        erns = [ern for ern in request.GET.getlist("ern")[:RECEIPT_ITEMS_MAX] if "\x00" not in ern]
        items = list(
            evidence_list(user=request.user).filter(case=self.case, ern__in=erns).order_by("ern").prefetch_related(None)
        )
        made_at = timezone.now()
        if request.GET.get("format") == "text":
            return self._text(items, made_at)
        return self.render({"items": items, "made_at": made_at, "erns": [item.ern for item in items]})

    def _text(self, items: list, made_at: datetime) -> HttpResponse:
        case = self.case
        lines = [
            _("Slid: receipt of evidence"),
            f"{_('Case')}: {case.reference} ({case.title})",
            f"{_('Made')}: {made_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} {_('for')} {self.request.user.get_username()}",
            "",
        ]
        for item in items:
            verdict = (
                _("the bytes we received are the bytes you had")
                if item.submitted_sha256 == item.sha256
                else _("MISMATCH: your browser computed %(sha256)s") % {"sha256": item.submitted_sha256}
                if item.submitted_sha256
                else _("no SHA-256 was computed before sending")
            )
            lines += [
                f"{_('ERN')}: {item.ern}",
                f"{_('File')}: {item.original_filename}",
                f"{_('Size')}: {item.size_bytes} {_('bytes')}",
                f"SHA-256: {item.sha256}",
                f"{_('Received')}: {item.received_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
                f"{_('Check')}: {verdict}",
                "",
            ]
        lines.append(_("For sha256sum --check, in the folder of the files:"))
        lines += [f"{item.sha256}  {item.original_filename}" for item in items]
        name = f"slid-receipt-{case.reference}-{made_at.astimezone(UTC):%Y%m%dT%H%M%SZ}.txt"
        return HttpResponse(
            "\n".join(lines) + "\n",
            content_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
