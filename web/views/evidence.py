"""Evidence in the workspace: a case's list (the API's filters, in the URL), an item's page (its archived
original shown in the page, its metadata, where it was captured, its near duplicates and its chain of custody
with its integrity), the media route the page's viewer reads, and marking an item graphic.

The media route serves the archived original with the API download's checks (download_refusal, the second
factor for bytes that identify a witness, the 409s of evidence_serving_refusal, the 416 before anything is
recorded) through evidence.services.downloads, so both refuse, record and verify alike. A view is recorded
once: the page puts a signed, random view id in the media URL, and the first request of that view writes
the ``accessed`` custody entry (and the audit entries), while the ranges a video asks for as it plays are
served under it (evidence.services.downloads.evidence_record_view)."""

import json
import re
import uuid
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence.errors import NotAllowed
from evidence.models import Case, Confidentiality, EvidenceItem, EvidenceKind, EvidenceStatus, ProvenanceState
from evidence.selectors.access import (
    Action,
    User,
    download_refusal,
    identified_persons,
    second_factor_refusal,
    user_may_mark_graphic,
)
from evidence.selectors.custody import custody_timeline
from evidence.selectors.items import evidence_list, evidence_near_duplicates
from evidence.selectors.record import incident_list
from evidence.selectors.viewing import (
    evidence_search,
    evidence_shown_blurred,
    evidence_viewer,
    readable_metadata,
    user_media_blur,
)
from evidence.services.custody import evidence_record_access
from evidence.services.downloads import (
    RangeNotSatisfiable,
    evidence_file_response,
    evidence_record_view,
    evidence_serving_refusal,
    requested_range,
)
from evidence.services.viewing import evidence_mark_graphic
from geo.safeguards import far_from_incidents
from web.pages import Page, verified

PAGE_SIZE = 50
# The incidents the filter offers by name, newest first; any other is asked for by its id in the URL.
INCIDENTS_OFFERED = 300
SEARCH_MAX_LENGTH = 100
# A view id in a media URL works this long after the page was shown: long enough to watch a long video,
# short enough that a copied link does not stand for a view days later.
MEDIA_VIEW_MAX_AGE = timedelta(hours=12)
MEDIA_VIEW_SALT = "web.evidence.media-view"
MEDIA_VIEW_MAX_LENGTH = 200
VIEW_ID = re.compile(r"^[0-9a-f]{32}$")
# The media route's own policy: its answer is a file, never a page that runs anything. Only a PDF is framed,
# by Slid's own evidence page (the browser's PDF viewer in an <iframe>).
MEDIA_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'none'"
FRAMED_MEDIA_POLICY = MEDIA_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


def media_view_token(item: EvidenceItem) -> str:
    """A new view of the item's bytes: a random id, signed with the item's id and the time."""
    return signing.dumps({"evidence": item.pk, "view": uuid.uuid4().hex}, salt=MEDIA_VIEW_SALT, compress=False)


def media_view_id(token: str, item: EvidenceItem) -> str | None:
    """The view id of a media URL's ``view``, if it is one Slid signed for this item and not too old."""
    if not token or len(token) > MEDIA_VIEW_MAX_LENGTH:
        return None
    try:
        data = signing.loads(token, salt=MEDIA_VIEW_SALT, max_age=MEDIA_VIEW_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired too
        return None
    if not isinstance(data, dict) or data.get("evidence") != item.pk:
        return None
    view = data.get("view")
    return view if isinstance(view, str) and VIEW_ID.match(view) else None


def distance_text(metres: float | None) -> str:
    """1.2 km, 350 m (in the page's language); "" for no distance."""
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(metres)s m") % {"metres": formats.number_format(round(metres))}
    return _("%(km)s km") % {"km": formats.number_format(metres / 1000, 1)}


class EvidenceFilterForm(forms.Form):
    """The API's evidence filters (status, kind, incident), and words to find."""

    q = forms.CharField(label=gettext_lazy("Find"), required=False, max_length=SEARCH_MAX_LENGTH, strip=True)
    status = forms.MultipleChoiceField(
        label=gettext_lazy("Status"),
        choices=EvidenceStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.MultipleChoiceField(
        label=gettext_lazy("Kind"), choices=EvidenceKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    incident = forms.IntegerField(
        label=gettext_lazy("Incident"), required=False, min_value=1, max_value=2**63 - 1, widget=forms.Select
    )

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incidents = incident_list(user=user).filter(case=case)
        offered = list(self.incidents.order_by("-occurred_from", "-pk").values_list("pk", "title")[:INCIDENTS_OFFERED])
        self.fields["incident"].widget.choices = [("", _("Any incident")), *offered]

    def clean_incident(self) -> int | None:
        incident = self.cleaned_data["incident"]
        if incident is not None and not self.incidents.filter(pk=incident).exists():
            raise forms.ValidationError(_("No incident %(id)s in this case.") % {"id": incident})
        return incident


class EvidencePage(Page):
    """What the evidence pages share: the item named in the URL, looked up within the page's case."""

    def evidence_or_404(self, evidence_id: int) -> EvidenceItem:
        item = evidence_list(user=self.request.user).filter(case=self.case, pk=evidence_id).first()
        if item is None:
            raise Http404(_("No such evidence in this case."))
        return item


class EvidenceListPage(Page):
    """The case's evidence, newest first, a page at a time; the filters are in the URL (a view can be
    shared), and htmx replaces only the table as they change."""

    template_name = "web/evidence_list.html"
    partial_template_name = "web/evidence_table.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        form = EvidenceFilterForm(request.GET, case=self.case, user=request.user)
        if not form.is_valid():
            return self.render({"form": form, "page_obj": None}, status=400)
        data = form.cleaned_data
        items = evidence_search(
            evidence_list(user=request.user).filter(case=self.case),
            statuses=data["status"],
            kinds=data["kind"],
            incident=data["incident"],
            text=data["q"],
        )
        page = Paginator(items.order_by("-received_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self.render({"form": form, "page_obj": page, "query": query.urlencode(), "filtered": any(data.values())})


class EvidenceDetailPage(EvidencePage):
    """An item: its archived original in the page (blurred, greyscale and muted until the viewer chooses to
    see it, as the user's setting says), the metadata, where it was captured, its near duplicates side by
    side, and its chain of custody as a timeline, each entry's hash checked."""

    template_name = "web/evidence_detail.html"

    def get(self, request: HttpRequest, reference: str, evidence: int) -> HttpResponse:
        item = self.evidence_or_404(evidence)
        media_blur = user_media_blur(user=request.user)
        incidents = list(incident_list(user=request.user).filter(case=self.case, evidence_links__evidence=item))
        distances = item.incident_distances_m or {}
        far = set(far_from_incidents(distances))
        for incident in incidents:
            incident.distance_text = distance_text(distances.get(str(incident.pk)))
            incident.far = incident.pk in far
        duplicates = self._near_duplicates(item, media_blur)
        user = request.user
        return self.render(
            {
                "item": item,
                "media": self._media(item, media_blur),
                "media_blur": media_blur,
                "timeline": custody_timeline(item=item),
                "metadata": readable_metadata(item.metadata or {}),
                "incidents": incidents,
                "map_data": self._map_data(item, incidents),
                "duplicates": duplicates,
                "persons": sorted(item.protected_persons.all(), key=lambda person: (person.kind, person.pseudonym)),
                "may_mark_graphic": user_may_mark_graphic(user=user, item=item, graphic=not item.graphic),
                "confidentiality_warning": item.confidentiality == Confidentiality.IDENTIFIES_WITNESS,
                "provenance_state": dict(ProvenanceState.choices).get((item.provenance or {}).get("state")),
            }
        )

    def _media(self, item: EvidenceItem, media_blur: str) -> dict:
        """How the page shows the item's bytes, or why it does not."""
        user = self.request.user
        persons = identified_persons(item=item)
        refusal = download_refusal(user=user, item=item, persons=persons)
        if refusal is None and persons is not None:
            refusal = second_factor_refusal(user=user, with_code=verified(user), action=Action.REVEAL_IDENTITY)
        refusal = refusal or evidence_serving_refusal(item=item)
        viewer = evidence_viewer(item=item)
        media: dict[str, Any] = {"item": item, "viewer": viewer, "refusal": refusal}
        if refusal is None:
            token = media_view_token(item)
            url = reverse("web:evidence-media", kwargs={"reference": self.case.reference, "evidence": item.pk})
            media["url"] = f"{url}?view={token}"
            media["download_url"] = f"{url}?view={token}&download=1"
            media["blurred"] = evidence_shown_blurred(item=item, media_blur=media_blur)
            media["identifies"] = persons is not None
        return media

    def _near_duplicates(self, item: EvidenceItem, media_blur: str) -> list[dict]:
        found = evidence_near_duplicates(item=item)
        others = evidence_list(user=self.request.user).filter(case=self.case, pk__in=[d["id"] for d in found])
        by_id = {other.pk: other for other in others}
        return [
            {"distance_bits": d["distance_bits"], **self._media(by_id[d["id"]], media_blur)}
            for d in found
            if d["id"] in by_id
        ]

    @staticmethod
    def _map_data(item: EvidenceItem, incidents: list) -> dict | None:
        if item.captured_location is None:
            return None
        return {
            "captured": [item.captured_location.x, item.captured_location.y],
            "incidents": [json.loads(incident.location.geojson) for incident in incidents],
        }


class EvidenceMediaPage(EvidencePage):
    """The archived original, for the evidence page's viewer: inline (a PDF framed by Slid's own page
    only), ranges answering 206, one recorded access per view of the page (see the module's docstring);
    ``download=1`` as an attachment, each recorded as the API's download is. Refuses what the API's download
    refuses; never cached."""

    records_on_get = True

    def get(self, request: HttpRequest, reference: str, evidence: int) -> HttpResponse:
        item = self.evidence_or_404(evidence)
        user = request.user
        persons = identified_persons(item=item)
        refusal = download_refusal(user=user, item=item, persons=persons)
        if refusal:
            raise PermissionDenied(refusal)
        if persons is not None:  # bytes that identify a witness: a reveal, HEAD included
            needs = second_factor_refusal(user=user, with_code=verified(user), action=Action.REVEAL_IDENTITY)
            if needs:
                raise PermissionDenied(needs)
        not_served = evidence_serving_refusal(item=item)
        if not_served:
            return _plain(not_served, status=409)
        view = media_view_id(request.GET.get("view", ""), item)
        if view is None:
            return _plain(
                _("view: open the file from its evidence page; this link is not one, or it is more than 12 hours old."),
                status=400,
            )
        range_header = request.headers.get("Range")
        try:
            served = requested_range(range_header, item.size_bytes)
        except RangeNotSatisfiable as refused:  # before anything is recorded
            response = _plain(f"Range: {refused.message}", status=416)
            response["Content-Range"] = f"bytes */{item.size_bytes}"
            return response
        if served is None:  # a Range not served is ignored: the whole file goes out, and is recorded as such
            range_header = None
        head = request.method == "HEAD"
        viewer = evidence_viewer(item=item)
        download = request.GET.get("download") == "1"
        inline = viewer is not None and not download
        # HEAD: the same headers, no bytes, nothing recorded. A copy saved is recorded every time, as the API's
        # download; what the page shows, once per view.
        if not head and download:
            evidence_record_access(actor=user, item=item, byte_range=range_header)
        elif not head:
            evidence_record_view(actor=user, item=item, view=view, byte_range=range_header)
        response = evidence_file_response(
            actor=user,
            item=item,
            range_header=range_header,
            head=head,
            inline=inline,
            # What is not shown in the page goes out as bytes to save, never as something to render or run.
            content_type=None if inline else "application/octet-stream",
        )
        framed = inline and viewer == "pdf"
        response["Content-Security-Policy"] = FRAMED_MEDIA_POLICY if framed else MEDIA_POLICY
        response["X-Frame-Options"] = "SAMEORIGIN" if framed else "DENY"
        return response


def _plain(text: str, *, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


class GraphicForm(forms.Form):
    graphic = forms.TypedChoiceField(
        choices=[("true", "true"), ("false", "false")], coerce=lambda value: value == "true", empty_value=None
    )


class EvidenceGraphicPage(EvidencePage):
    """Marks the item graphic, or takes the mark off (evidence.services.viewing.evidence_mark_graphic, audited)."""

    def post(self, request: HttpRequest, reference: str, evidence: int) -> HttpResponse:
        item = self.evidence_or_404(evidence)
        form = GraphicForm(request.POST)
        if not form.is_valid():
            return _plain(_("graphic: say true or false."), status=400)
        graphic = form.cleaned_data["graphic"]
        try:
            evidence_mark_graphic(actor=request.user, item=item, graphic=graphic)
        except NotAllowed as refused:
            raise PermissionDenied(refused.message) from None
        if graphic:
            messages.success(request, _("%(ern)s is marked graphic.") % {"ern": item.ern})
        else:
            messages.success(request, _("%(ern)s is no longer marked graphic.") % {"ern": item.ern})
        return HttpResponseRedirect(
            reverse("web:evidence-detail", kwargs={"reference": reference, "evidence": item.pk})
        )
