"""The intake fields of the upload page: set once for a batch, and for one file where it differs. The
browser sends them with each file (tus Upload-Metadata); this form reads them as the API's upload does
(the same vocabularies, lengths and dates in the case's time zone). The rules (same case, what may be
set) are evidence.services.resumable's and evidence.services.intake's."""

import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.dates import as_given, parse_moment, place_moment
from evidence.models import Case, Confidentiality, EvidenceKind, SourceType
from evidence.selectors.record import incident_list
from evidence.selectors.witnesses import protected_person_visible

# The fields travel in a request header, which servers and proxies keep under 8 KiB: the page keeps the
# free-text fields shorter than the API does.
SOURCE_MAX_LENGTH = 1000
SOURCE_URL_MAX_LENGTH = 1000
# The incidents offered in the list, newest first; an older one is linked from its own page afterwards.
INCIDENTS_OFFERED = 300
MOMENT_MAX_LENGTH = 40
MOMENT_HELP = _("A date (2022-03-04) or a date and time (2022-03-04 14:05), in the case's time zone.")


class MomentField(forms.Field):
    """A date or a date and time as investigators write them (evidence.dates)."""

    widget = forms.TextInput(attrs={"maxlength": MOMENT_MAX_LENGTH})

    def to_python(self, value):
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > MOMENT_MAX_LENGTH or "\x00" in text:
            raise forms.ValidationError(_("Write a date (2022-03-04) or a date and time (2022-03-04 14:05)."))
        try:
            return parse_moment(text)
        except ValueError:
            raise forms.ValidationError(
                _("Write a date (2022-03-04) or a date and time (2022-03-04 14:05)."), code="invalid"
            ) from None


class IntakeFieldsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Found from the file"))] + EvidenceKind.choices
    )
    source_type = forms.ChoiceField(
        label=_("Source type"), required=False, choices=[("", _("Not given (other)"))] + SourceType.choices
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=SOURCE_MAX_LENGTH,
        required=False,
        help_text=_("Who or where it came from."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    source_url = forms.URLField(
        label=_("Source address (URL)"), max_length=SOURCE_URL_MAX_LENGTH, required=False, assume_scheme="https"
    )
    captured_at = MomentField(label=_("Captured"), required=False, help_text=MOMENT_HELP)
    acquired_at = MomentField(label=_("Acquired"), required=False, help_text=MOMENT_HELP)
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"),
        required=False,
        choices=[("", _("Restricted (the default)"))] + Confidentiality.choices,
    )
    incidents = forms.ModelMultipleChoiceField(label=_("Incidents"), required=False, queryset=None)
    protected_persons = forms.ModelMultipleChoiceField(
        label=_("Witnesses and victims"),
        required=False,
        queryset=None,
        help_text=_("By pseudonym; the file is linked to them."),
    )

    def __init__(self, *args: Any, user, case: Case, per_file: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        incidents = incident_list(user=user).filter(case=case)
        people = protected_person_visible(user=user).filter(case=case)
        self.fields["incidents"].queryset = incidents
        self.fields["protected_persons"].queryset = people
        # What the page lists: a case may hold a million incidents, and a form that lists them all is no help.
        offered = incidents.order_by("-occurred_from", "-id").values_list("id", "title", "occurred_from")
        zone = zoneinfo.ZoneInfo(case.time_zone)
        self.fields["incidents"].widget.choices = [
            (pk, f"#{pk} · {title} · {timezone.localtime(occurred, zone):%Y-%m-%d}")
            for pk, title, occurred in offered[:INCIDENTS_OFFERED]
        ]
        self.fields["protected_persons"].widget.choices = [
            (person.pk, f"{person.pseudonym} ({person.get_kind_display()})") for person in people.order_by("pseudonym")
        ]
        if per_file:  # an empty field keeps what the batch says
            for name in ("kind", "source_type", "confidentiality"):
                self.fields[name].choices = [("", _("As for the batch"))] + self.fields[name].choices[1:]
        for name in ("captured_at", "acquired_at"):
            self.fields[name].widget.attrs.update(placeholder="2022-03-04 14:05", autocomplete="off")
        self.fields["source"].widget.attrs["maxlength"] = SOURCE_MAX_LENGTH

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("captured_at", "acquired_at"):
            if data.get(name) is not None:
                # In the offset it has in the case's zone, which the item keeps (evidence.dates.place_moment).
                given = place_moment(data[name], time_zone=self.case.time_zone)
                data[name] = as_given(given.at, given.offset_minutes)
        return data

    def intake_fields(self) -> dict[str, Any]:
        """What evidence_receive takes, leaving out what was not given (the item's defaults then apply,
        and a kind not given is found from the file)."""
        data = self.cleaned_data
        names = (
            "title",
            "kind",
            "source_type",
            "source",
            "source_url",
            "captured_at",
            "acquired_at",
            "confidentiality",
        )
        return {name: data[name] for name in names if data.get(name) not in (None, "")}
