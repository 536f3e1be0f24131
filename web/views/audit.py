"""The case's audit log, for its leads: who did what, when, from where, with the values before and after.
Filtered by action, actor, a range of days (in the case's time zone) and the target's text; the address
holds the filters and the page, so a view of the log can be shared."""

import json
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence.dates import FIRST_DAY, LAST_DAY, resolve_moment
from evidence.models import AuditAction, AuditEntry, Case
from evidence.selectors.audit import audit_entry_list
from evidence.selectors.cases import case_member_list
from web.pages import Page, is_htmx

ENTRIES_PER_PAGE = 50
FILTERS = ("action", "actor", "after", "before", "target")


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    actor = forms.CharField(
        label=gettext_lazy("By"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"list": "audit-actors", "autocomplete": "off"}),
        help_text=gettext_lazy("A username."),
    )
    after = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    before = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    target = forms.CharField(
        label=gettext_lazy("Target contains"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("An ERN, a package's id, a username…"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action")), *AuditAction.choices]

    def clean(self) -> dict:
        data = super().clean()
        for name in ("after", "before"):
            day = data.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(
                    name, _("Give a day between %(first)s and %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY}
                )
        after, before = data.get("after"), data.get("before")
        if after and before and before < after:
            self.add_error("before", _("The last day is before the first."))
        return data


def filtered(entries: QuerySet[AuditEntry], data: dict, *, case: Case) -> QuerySet[AuditEntry]:
    """The entries that pass the filters; the days are days in the case's time zone, both included."""
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    if data.get("actor"):
        entries = entries.filter(actor__username__iexact=data["actor"])
    if data.get("after"):
        entries = entries.filter(at__gte=resolve_moment(data["after"], time_zone=case.time_zone))
    if data.get("before"):
        entries = entries.filter(at__lte=resolve_moment(data["before"], time_zone=case.time_zone, end_of_day=True))
    if data.get("target"):
        entries = entries.filter(target__icontains=data["target"])
    return entries


def _shown(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def readable_details(details: dict) -> list[dict[str, str]]:
    """The entry's details as rows a person reads: a change as its name, the value before and after
    ({"title": {"from": …, "to": …}}, or {"from": …, "to": …} for the entry's own subject, a member's
    role); anything else as its name and value."""
    if not isinstance(details, dict):
        return [{"name": "", "value": _shown(details)}]
    if set(details) == {"from", "to"}:
        return [{"name": "", "before": _shown(details["from"]), "after": _shown(details["to"])}]
    rows = []
    for name, value in details.items():
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            rows.append({"name": name, "before": _shown(value["from"]), "after": _shown(value["to"])})
        else:
            rows.append({"name": name, "value": _shown(value)})
    return rows


class AuditLogPage(Page):
    template_name = "web/audit_log.html"
    partial_template_name = "web/audit_entries.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        params = {name: request.GET[name] for name in FILTERS if request.GET.get(name)}
        form = AuditFilterForm(params or None)
        if params and not form.is_valid():
            # htmx puts no 4xx answer in the page, and its part of the page must say what is wrong: 200 for it.
            return self.render(self._context(form, entries=None), status=200 if is_htmx(request) else 400)
        data = form.cleaned_data if params else {}
        entries = filtered(audit_entry_list(case=self.case), data, case=self.case)
        page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
        for entry in page:
            entry.rows = readable_details(entry.details)
        query = urlencode({name: value for name, value in form.data.items() if name in FILTERS}) if params else ""
        return self.render(self._context(form, entries=page, query=query, filtered=bool(params)))

    def _context(self, form: AuditFilterForm, **context: Any) -> dict[str, Any]:
        members = case_member_list(case=self.case).values_list("user__username", flat=True)
        return {"form": form, "actors": list(members), **context}
