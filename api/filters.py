"""The list filters' backend: django-filter's, with a choice error that names the valid choices, as
the serializers' do (api.fields.ChoicesNamed): ``?kind=фото`` answers which kinds there are."""

from django import forms
from django_filters.rest_framework import DjangoFilterBackend

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


class FilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            for field in filterset.form.fields.values():
                # Objects (ModelChoiceField) are not listed: an id that is not found is simply not found.
                if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
                    field.error_messages["invalid_choice"] = FormChoicesNamed(field)
        return filterset
