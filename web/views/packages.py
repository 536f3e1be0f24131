"""Court submission packages: choosing what goes in, requesting it, watching it being built, downloading
it, and how to verify it. The rules are evidence.services.packages' (who exports, who may include
identities, which profiles a case may use) and the download's (the API's steps, package_download)."""

import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from evidence.errors import DomainError, NotAllowed
from evidence.models import EvidenceItem, Export, ExportStatus, Incident
from evidence.package import register
from evidence.selectors.access import Action, user_may, user_may_download_export
from evidence.selectors.items import evidence_list
from evidence.selectors.packages import export_list, export_profile_list
from evidence.selectors.record import incident_list
from evidence.services.downloads import RangeNotSatisfiable, export_file_response, requested_range
from evidence.services.packages import (
    IDENTITIES_FOR_LEADS,
    export_request,
)
from web.pages import Page, is_htmx

# How many candidates a search shows under each list (the chosen ones are always shown too).
CANDIDATES_SHOWN = 50
# A selection larger than this is a request a person did not make by ticking boxes (and Django refuses a form
# of more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields anyway: choose incidents, which bring their evidence).
MAX_CHOSEN = 1000
SEARCH_MAX_LENGTH = 100
PACKAGES_PER_PAGE = 25
VERIFY_TXT = Path(__file__).resolve().parents[2] / "evidence" / "package" / "VERIFY.txt"
FINISHED = (ExportStatus.READY, ExportStatus.FAILED)
# The chosen incidents and items a package's page lists (a package may hold thousands).
SELECTION_SHOWN = 200


def _search_text(params, name: str) -> str:
    # PostgreSQL refuses NUL in text, and nobody means to search for one.
    return params.get(name, "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]


def _chosen_ids(values: list[str]) -> list[int]:
    """The ids ticked before a search (kept ticked); anything that is not an id is left out."""
    ids = []
    for value in values[:MAX_CHOSEN]:
        if value.isascii() and value.isdigit() and len(value) < 19:
            ids.append(int(value))
    return ids


def profile_choices(*, user, case) -> list[tuple[str, str]]:
    """The profiles an export of the case may use: the built-in ones, the case's own, the shared ones (a
    case's own profile comes before a shared one of the same name, as evidence.package.register finds it),
    none that is retired (a retired profile of the case still hides a shared one of its name)."""
    choices = {name: _("%(name)s (built in)") % {"name": name} for name in register.BUILTIN_PROFILES}
    profiles = export_profile_list(user=user).filter(Q(case=case) | Q(case__isnull=True))
    for profile in sorted(profiles, key=lambda p: (p.case_id is None, p.name)):
        label = profile.name if not profile.description else f"{profile.name}: {profile.description[:80]}"
        choices.setdefault(profile.name, None if profile.retired_at else label)
    return [(name, label) for name, label in choices.items() if label is not None]


class PackageRequestForm(forms.Form):
    """What a package holds; the service decides whether it may be made."""

    incidents = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Incidents"), queryset=Incident.objects.none(), required=False
    )
    evidence = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Evidence"), queryset=EvidenceItem.objects.none(), required=False
    )
    profile = forms.ChoiceField(
        label=gettext_lazy("Export profile"),
        help_text=gettext_lazy("The columns of the package's evidence register."),
    )
    include_identities = forms.BooleanField(
        label=gettext_lazy("Include the identities of witnesses and victims"),
        help_text=gettext_lazy(
            "Only leads may download such a package, and every download is recorded as a reveal of each identity."
        ),
        required=False,
    )

    def __init__(self, *args: Any, user, case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incidents"].queryset = (
            incident_list(user=user).filter(case=case).select_related(None).only("pk", "case_id")
        )
        self.fields["evidence"].queryset = (
            evidence_list(user=user).filter(case=case).select_related(None).only("pk", "case_id")
        )
        self.fields["profile"].choices = profile_choices(user=user, case=case)
        # Shown to leads only; anyone else who sends it is refused by the service, as by the API.
        self.may_include_identities = user_may(user=user, case=case, action=Action.REVEAL_IDENTITY)

    def clean(self) -> dict:
        data = super().clean()
        for name in ("incidents", "evidence"):
            if len(self.data.getlist(name)) > MAX_CHOSEN:
                self.add_error(name, _("Choose at most %(count)d.") % {"count": MAX_CHOSEN})
        if not self.errors and not data.get("incidents") and not data.get("evidence"):
            self.add_error(None, _("Choose at least one incident or evidence item."))
        return data


def incident_candidates(*, user, case, text: str, chosen: list[int]) -> list[tuple[Incident, bool]]:
    """(incident, chosen) for the chosen incidents, then the others that match ``text``, newest first."""
    incidents = incident_list(user=user).filter(case=case).prefetch_related(None).order_by("-occurred_from", "-id")
    matches = incidents.exclude(pk__in=chosen)
    if text:
        words = SearchQuery(text, config="simple", search_type="websearch")
        matches = matches.filter(Q(search=words) | Q(title__icontains=text) | Q(place_name__icontains=text))
    return _rows(incidents.filter(pk__in=chosen) if chosen else [], matches)


def evidence_candidates(*, user, case, text: str, chosen: list[int]) -> list[tuple[EvidenceItem, bool]]:
    """(item, chosen) for the chosen items, then the others whose ERN, title or file name holds ``text``."""
    items: QuerySet[EvidenceItem] = (
        evidence_list(user=user).filter(case=case).select_related(None).prefetch_related(None)
    )
    items = items.only("pk", "case_id", "ern", "title", "original_filename", "kind", "status", "confidentiality")
    matches = items.exclude(pk__in=chosen)
    if text:
        matches = matches.filter(
            Q(ern__icontains=text) | Q(title__icontains=text) | Q(original_filename__icontains=text)
        )
    return _rows(items.filter(pk__in=chosen) if chosen else [], matches)


def _rows(chosen, matches: QuerySet) -> list[tuple[Any, bool]]:
    return [(obj, True) for obj in chosen] + [(obj, False) for obj in matches[: CANDIDATES_SHOWN + 1]]


CANDIDATE_LISTS = {
    "incidents": (incident_candidates, "web/package_incidents.html"),
    "evidence": (evidence_candidates, "web/package_evidence.html"),
}


def selection(params, *, user, case, which: str) -> dict[str, Any]:
    """One list of the form (its search text from ``params``, its ticked ids kept ticked)."""
    finder, _template = CANDIDATE_LISTS[which]
    text = _search_text(params, f"{which}_q")
    rows = finder(user=user, case=case, text=text, chosen=_chosen_ids(params.getlist(which)))
    shown = sum(1 for _obj, chosen in rows if not chosen)
    if shown > CANDIDATES_SHOWN:
        rows = rows[:-1]
    return {"rows": rows, "q": text, "more": shown > CANDIDATES_SHOWN}


class PackageListPage(Page):
    """Choosing incidents and evidence for a package, an export profile and (leads) identities; the case's
    packages below, those being built updating themselves. A search box replaces its list only (htmx); the
    boxes ticked stay ticked above the matches. Without script, its button posts the form with ``find`` and
    the page comes back with the search done and nothing requested."""

    template_name = "web/package_list.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        which = request.GET.get("list")
        if is_htmx(request) and which in CANDIDATE_LISTS:
            self.partial_template_name = CANDIDATE_LISTS[which][1]
            return self.render({which: selection(request.GET, user=request.user, case=self.case, which=which)})
        initial = {"profile": request.GET["profile"]} if request.GET.get("profile") else {}
        return self._page(PackageRequestForm(user=request.user, case=self.case, initial=initial), request.GET)

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        if request.POST.get("find"):  # a search without script: nothing is requested
            initial = {
                "profile": request.POST.get("profile"),
                "include_identities": bool(request.POST.get("include_identities")),
            }
            return self._page(PackageRequestForm(user=request.user, case=self.case, initial=initial), request.POST)
        form = PackageRequestForm(request.POST, user=request.user, case=self.case)
        if not form.is_valid():
            return self._page(form, request.POST, status=400)
        data = form.cleaned_data
        try:
            export = export_request(
                actor=request.user,
                case=self.case,
                incidents=data["incidents"],
                evidence=data["evidence"],
                profile=data["profile"],
                include_identities=data.get("include_identities", False),
            )
        except NotAllowed as refusal:
            form.add_error(None, refusal.message)
            return self._page(form, request.POST, status=403)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self._page(form, request.POST, status=400)
        messages.success(
            request,
            _("Package %(id)s requested; it is being built below, and can be downloaded once it is ready.")
            % {"id": export.public_id},
        )
        return HttpResponseRedirect(reverse("web:package-list", args=[self.case.reference]))

    def _page(self, form: PackageRequestForm, params, *, status: int = 200) -> HttpResponse:
        user = self.request.user
        packages = export_list(user=user).filter(case=self.case).order_by("-created_at", "-id")
        page = Paginator(packages, PACKAGES_PER_PAGE).get_page(self.request.GET.get("page"))
        for export in page:
            export.downloadable = user_may_download_export(user=user, export=export)
        lists = {which: selection(params, user=user, case=self.case, which=which) for which in CANDIDATE_LISTS}
        return self.render({"form": form, "packages": page, **lists}, status=status)


def package_of_case(*, user, case, package) -> Export:
    """The export named in the URL, among the user's and of this case (404 otherwise)."""
    export = export_list(user=user).filter(case=case, public_id=package).first()
    if export is None:
        raise Http404(_("No such package in this case."))
    return export


class PackagePage(Page):
    """One package: what was chosen, its progress (htmx asks for the status again every two seconds until
    the package is ready or failed), its SHA-256, the download, and how to verify it. ``?in=row`` asks for
    its row of the list instead (the list's rows of packages being built update themselves too)."""

    template_name = "web/package_detail.html"
    partial_template_name = "web/package_status.html"

    def get(self, request: HttpRequest, reference: str, package: uuid.UUID) -> HttpResponse:
        export = package_of_case(user=request.user, case=self.case, package=package)
        context: dict[str, Any] = {
            "export": export,
            "finished": export.status in FINISHED,
            "downloadable": user_may_download_export(user=request.user, export=export),
            "htmx": is_htmx(request),
        }
        if is_htmx(request) and request.GET.get("in") == "row":
            self.partial_template_name = "web/package_row.html"
            return self.render(context)
        if export.status == ExportStatus.READY:
            context["verify_text"] = VERIFY_TXT.read_text(encoding="utf-8")
        if not is_htmx(request):
            incidents = incident_list(user=request.user).filter(case=self.case, pk__in=export.incident_ids)
            items = evidence_list(user=request.user).filter(case=self.case, pk__in=export.evidence_ids)
            context["chosen_incidents"] = incidents.prefetch_related(None).order_by("-occurred_from")[:SELECTION_SHOWN]
            context["chosen_evidence"] = items.prefetch_related(None).order_by("ern")[:SELECTION_SHOWN]
        return self.render(context)


class PackageDownloadPage(Page):
    """The package's zip (``Range`` requests answer 206), as the API's download gives it: the same refusals,
    the same audit entries (for a package with identities, a reveal of each person, every time), and the
    archived originals checked against their SHA-256 on the way. ``HEAD`` records nothing."""

    records_on_get = True

    def get(self, request: HttpRequest, reference: str, package: uuid.UUID) -> HttpResponse:
        export = package_of_case(user=request.user, case=self.case, package=package)
        try:
            return package_download(
                actor=request.user,
                export=export,
                range_header=request.headers.get("Range"),
                head=request.method == "HEAD",
            )
        except NotAllowed as refusal:
            raise PermissionDenied(refusal.message) from None
        except RangeNotSatisfiable as refusal:
            return HttpResponse(
                refusal.message,
                status=416,
                content_type="text/plain; charset=utf-8",
                headers={"Content-Range": f"bytes */{export.size_bytes}"},
            )
        except DomainError as error:  # not ready
            return HttpResponse(error.message, status=409, content_type="text/plain; charset=utf-8")


def package_download(*, actor, export: Export, range_header: str | None, head: bool) -> HttpResponse:
    """The API's package download (api.packages.views.ExportViewSet.download) for the workspace: who may,
    only a ready package, a refused range records nothing, then evidence.services.downloads.export_file_response."""
    if not user_may_download_export(user=actor, export=export):
        raise NotAllowed(gettext(IDENTITIES_FOR_LEADS))
    if export.status != ExportStatus.READY:
        raise DomainError(_("The package is %(status)s, not ready.") % {"status": export.get_status_display()})
    if requested_range(range_header, export.size_bytes) is None:
        range_header = None  # a Range not served is ignored: the whole package goes out, and is recorded as such
    return export_file_response(actor=actor, export=export, range_header=range_header, head=head)
