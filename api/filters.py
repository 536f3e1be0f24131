"""The list filters' backend: django-filter's, with a choice error that names the valid choices, as
the serializers' do (api.fields.ChoicesNamed): ``?kind=фото`` answers which kinds there are."""

from django import forms
from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.mixins import ListModelMixin

from api.fields import ChoicesNamed


class FormChoicesNamed:
    """A form choice field's "invalid_choice" message; Django %-formats it with the value."""

    def __init__(self, field: forms.ChoiceField) -> None:
        self.named = ChoicesNamed(value for value, _label in _flat(field.choices) if value != "")

    def __mod__(self, params: dict) -> str:
        return self.named.format(input=params["value"])


def _flat(choices) -> list[tuple]:
    flat: list[tuple] = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # a named group of choices
            flat.extend(label)
        else:
            flat.append((str(value), label))
    return flat


# Taken by every route: DRF's choice of renderer (?format=json).
ALWAYS_KNOWN = frozenset({"format"})


def known_parameters(view) -> set[str]:
    """The query parameters a list route takes: those its filter backends and its paginator document."""
    known = set(ALWAYS_KNOWN)
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            # The view's own class: asking the backend would build the queryset, a query for the user's cases.
            filterset_class = getattr(view, "filterset_class", None)
            known.update(filterset_class.base_filters if filterset_class else ())
        elif hasattr(backend, "get_schema_operation_parameters"):
            known.update(parameter["name"] for parameter in backend.get_schema_operation_parameters(view))
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        known.update(parameter["name"] for parameter in paginator.get_schema_operation_parameters(view))
    return known


def refuse_unknown_parameters(request, known: set[str]) -> None:
    """A parameter a list does not take answers 400 naming it, rather than being ignored (a misspelt
    filter would otherwise list everything)."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        message = gettext("Unknown query parameter; this list takes %(known)s.") % {"known": ", ".join(sorted(known))}
        raise ValidationError({name: [message] for name in unknown})


class KnownParametersOnly(BaseFilterBackend):
    """First of the default filter backends: on a list route, refuses any query parameter that no filter,
    ordering or page takes (api.filters.known_parameters)."""

    def filter_queryset(self, request, queryset, view):
        action = getattr(view, "action", None)
        if action == "list" or (action is None and isinstance(view, ListModelMixin)):
            refuse_unknown_parameters(request, known_parameters(view))
        return queryset


class FilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            for field in filterset.form.fields.values():
                # Objects (ModelChoiceField) are not listed: an id that is not found is simply not found.
                if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
                    field.error_messages["invalid_choice"] = FormChoicesNamed(field)
        return filterset
