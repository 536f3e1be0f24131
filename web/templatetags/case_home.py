"""Template tags of the case home (web/templates/web/case_home.html and its list)."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

register = template.Library()

FILTER_LABELS = {
    "bbox": _("Map's view"),
    "occurred_after": _("From"),
    "occurred_before": _("To"),
    "crime": _("Crime"),
    "suspect": _("Suspect"),
    "unit": _("Unit"),
    "include_subordinates": _("and its subordinate units"),
    "status": _("Status"),
    "q": _("Text"),
    "case": _("Case"),
}


@register.simple_tag
def filter_query(incident_list, **changes: object) -> str:
    """The list's query with a filter set (and the first page): ``?{% filter_query list status="draft" %}``."""
    return incident_list.query(page=None, **changes)


@register.simple_tag
def incident_link(case, incident_or_id, title: str = "") -> str:
    """The incident's title, linked to its page (web:incident-detail)."""
    pk = getattr(incident_or_id, "pk", incident_or_id)
    title = title or getattr(incident_or_id, "title", "")
    try:
        url = reverse("web:incident-detail", kwargs={"reference": case.reference, "incident": pk})
    except NoReverseMatch:
        return format_html("<span>{}</span>", title)
    return format_html('<a href="{}">{}</a>', url, title)


@register.filter
def filter_label(name: str) -> str:
    return str(FILTER_LABELS.get(name, name))
