"""Incidents in the workspace: recording one on the map, changing it, and its page (where and when, its
crimes, its evidence, allegations, witnesses and victims by pseudonym, and the history of its changes).

Every write goes through evidence.services (incident_create, incident_update, evidence_link_incident),
with the API's rules and audit entries; the page only turns the services' refusals into words."""

from typing import Any

from django.contrib import messages
from django.contrib.gis.geos import GEOSGeometry
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from evidence.crimes import crimes
from evidence.errors import DomainError
from evidence.models import EvidenceKind, Incident
from evidence.selectors.access import Action, user_may
from evidence.selectors.items import evidence_list
from evidence.selectors.maps import incident_mapped_extent
from evidence.selectors.record import allegation_list, incident_list, incident_revision_list
from evidence.services.intake import evidence_link_incident
from evidence.services.record import incident_create, incident_update
from geo.safeguards import location_warnings
from geo.selectors import admin_area_containing
from geo.validation import GeometryError
from web.incident_forms import (
    SERVICE_FIELD_TO_FORM,
    IncidentForm,
    geometry_error_message,
    initial_for,
    read_location,
    service_error_message,
    warning_message,
)
from web.incident_history import area_name, describe_geometry, incident_when, readable_revisions
from web.pages import Page

# The items offered for linking by name (a datalist); any other is linked by typing its ERN.
LINKABLE_OFFERED = 100
ERN_MAX_LENGTH = 80
KIND_ICONS = {kind.value for kind in EvidenceKind}


def case_map_tiles(case) -> str:
    """The case's incidents as map tiles (web.views.map), drawn around the incident for context."""
    return reverse("web:case-map", args=[case.reference]) + "?z={z}&x={x}&y={y}"


class IncidentPage(Page):
    """What the incident pages share: the incident named in the URL, looked up within the page's case."""

    def incident_or_404(self, incident_id: int) -> Incident:
        incident = incident_list(user=self.request.user).filter(case=self.case, pk=incident_id).first()
        if incident is None:
            raise Http404(_("No such incident in this case."))
        incident.case = self.case  # the same case, already read (its time zone places the dates)
        return incident


class IncidentFormPage(IncidentPage):
    """Recording and changing an incident share the form, the map and the way refusals are shown."""

    template_name = "web/incident_form.html"

    def form_context(self, form: IncidentForm, incident: Incident | None) -> dict[str, Any]:
        check_url = reverse("web:incident-location-check", args=[self.case.reference])
        # The location is checked as it is drawn or typed; the answer goes next to the map.
        form.fields["location"].widget.attrs.update(
            {
                "hx-post": check_url,
                "hx-trigger": "change, input changed delay:800ms",
                "hx-target": "#location-feedback",
                "hx-swap": "innerHTML",
                "hx-params": "location",
                "hx-sync": "this:replace",
            }
        )
        if form.is_bound and isinstance(form.cleaned_data.get("location"), GEOSGeometry):
            warnings = location_warnings(form.cleaned_data["location"])
        else:
            warnings = incident.warnings if incident is not None else []
        extent = None if incident is not None else incident_mapped_extent(case=self.case)
        return {
            "form": form,
            "incident": incident,
            "map_tiles": case_map_tiles(self.case),
            "map_extent": ",".join(f"{n:.6f}" for n in extent) if extent else "",
            "warnings": [warning_message(w) for w in warnings],
            "crime_options": [
                {"code": code, "article": crime.article, "title": _(crime.title), "english": crime.title}
                for code, crime in crimes().items()
            ],
            "crime_picker_text": {
                "chosen": _("Chosen crimes"),
                "search": _("Search by title or article"),
                "remove": _("Remove {code}"),
                "found": _("Crimes found: {n}"),
                "none": _("No crime found"),
                "added": _("Added {code}"),
                "removed": _("Removed {code}"),
            },
        }

    def refused(self, form: IncidentForm, incident: Incident | None, error: DomainError) -> HttpResponse:
        field = SERVICE_FIELD_TO_FORM.get(error.field or "", error.field)
        message = service_error_message(error.field, error.message)
        form.add_error(field if field in form.fields else None, message)
        return self.render(self.form_context(form, incident), status=400)


class IncidentCreatePage(IncidentFormPage):
    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        return self.render(self.form_context(IncidentForm(), None))

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        form = IncidentForm(request.POST)
        if not form.is_valid():
            return self.render(self.form_context(form, None), status=400)
        try:
            incident = incident_create(actor=request.user, case=self.case, **form.service_fields(changed_only=False))
        except DomainError as error:
            return self.refused(form, None, error)
        messages.success(request, _("The incident was recorded."))
        return HttpResponseRedirect(reverse("web:incident-detail", args=[reference, incident.pk]))


class IncidentEditPage(IncidentFormPage):
    def get(self, request: HttpRequest, reference: str, incident: int) -> HttpResponse:
        found = self.incident_or_404(incident)
        return self.render(self.form_context(IncidentForm(initial=initial_for(found)), found))

    def post(self, request: HttpRequest, reference: str, incident: int) -> HttpResponse:
        found = self.incident_or_404(incident)
        form = IncidentForm(request.POST, initial=initial_for(found))
        if not form.is_valid():
            return self.render(self.form_context(form, found), status=400)
        changes = form.service_fields(changed_only=True)
        if not changes:
            messages.info(request, _("Nothing was changed."))
        else:
            try:
                incident_update(actor=request.user, incident=found, **changes)
            except DomainError as error:
                return self.refused(form, found, error)
            messages.success(request, _("The incident was changed."))
        return HttpResponseRedirect(reverse("web:incident-detail", args=[reference, found.pk]))


class IncidentLocationCheckPage(Page):
    """What the form shows next to the map while a location is drawn or typed: why it would be refused,
    or what would be said about it (outside the country, latitude and longitude swapped), and the area
    it lies in. Writes nothing; htmx swaps the answer into the page."""

    template_name = "web/incident_location_check.html"

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        text = request.POST.get("location", "").strip()
        context: dict[str, Any] = {}
        if text:
            try:
                geometry = read_location(text)
            except GeometryError as error:
                context = {"error": geometry_error_message(str(error)), "detail": str(error)}
            else:
                context = {
                    "warnings": [warning_message(w) for w in location_warnings(geometry)],
                    "area": area_name(admin_area_containing(geometry)),
                    "kind": geometry.geom_type,
                }
        return self.render(context)


class IncidentShownPage(IncidentPage):
    """The incident's page, and what a form posted on it shows again when it is refused."""

    template_name = "web/incident_detail.html"

    def detail_context(self, incident: Incident, **extra: Any) -> dict[str, Any]:
        user = self.request.user
        case = self.case
        known = crimes()
        items = list(evidence_list(user=user).filter(case=case, incidents=incident).order_by("received_at", "id"))
        may_write = user_may(user=user, case=case, action=Action.WRITE)
        linkable = []
        if may_write:
            linkable = list(
                evidence_list(user=user)
                .filter(case=case)
                .exclude(incidents=incident)
                .order_by("-received_at")
                .values("ern", "title", "original_filename")[:LINKABLE_OFFERED]
            )
        allegations = list(allegation_list(user=user).filter(incident=incident).order_by("id"))
        for item in items:
            item.icon = item.kind if item.kind in KIND_ICONS else EvidenceKind.OTHER
        return {
            "incident": incident,
            "map_tiles": case_map_tiles(case),
            "when": incident_when(incident, case),
            "area": area_name(incident.admin_area),
            "location": describe_geometry(incident.location_geojson),
            "crimes": [
                {"code": code, "title": _(known[code].title) if code in known else ""} for code in incident.crimes
            ],
            "warnings": [warning_message(w) for w in incident.warnings],
            "counts": [
                (label, getattr(incident, name))
                for name, label in (
                    ("killed", _("Killed")),
                    ("injured", _("Injured")),
                    ("missing", _("Missing")),
                    ("detained", _("Detained")),
                )
            ],  # fmt: skip
            "items": items,
            "linkable": linkable,
            "allegations": allegations,
            "persons": sorted(incident.protected_persons.all(), key=lambda p: (p.kind, p.pseudonym)),
            "revisions": readable_revisions(incident_revision_list(incident=incident), case),
            "may_write": may_write,
            **extra,
        }


class IncidentDetailPage(IncidentShownPage):
    def get(self, request: HttpRequest, reference: str, incident: int) -> HttpResponse:
        return self.render(self.detail_context(self.incident_or_404(incident)))


class IncidentEvidenceLinkPage(IncidentShownPage):
    """Links an item of the case's evidence to the incident, by its ERN, as the API's
    POST /api/v1/evidence/{id}/incidents/ does (a custody entry and an audit entry). Links are never removed:
    the API has no way to, and a link once made is part of the item's chain of custody."""

    def post(self, request: HttpRequest, reference: str, incident: int) -> HttpResponse:
        found = self.incident_or_404(incident)
        ern = request.POST.get("ern", "").replace("\x00", "").strip()
        error = None
        item = None
        if not ern:
            error = _("Give the ERN of the item to link, such as %(example)s.") % {"example": f"{reference}-000123"}
        elif len(ern) > ERN_MAX_LENGTH:
            error = _("No item %(ern)s in this case.") % {"ern": ern[:ERN_MAX_LENGTH] + "…"}
        else:
            item = evidence_list(user=request.user).filter(case=self.case, ern__iexact=ern).first()
            if item is None:
                error = _("No item %(ern)s in this case.") % {"ern": ern}
            elif item.incidents.filter(pk=found.pk).exists():
                error = _("%(ern)s is already linked to this incident.") % {"ern": item.ern}
        if error is None:
            try:
                evidence_link_incident(actor=request.user, item=item, incident=found)
            except DomainError as refusal:
                error = refusal.message
        if error is not None:
            return self.render(self.detail_context(found, link_error=error, link_ern=ern[:ERN_MAX_LENGTH]), status=400)
        messages.success(request, _("%(ern)s is now linked to this incident.") % {"ern": item.ern})
        return HttpResponseRedirect(reverse("web:incident-detail", args=[reference, found.pk]) + "#evidence")
