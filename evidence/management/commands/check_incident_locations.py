"""Checks every incident's location against the configured country (SLID_COUNTRY_OUTLINE, with
SLID_COUNTRY_MARGIN_M) and stores its warnings: after upgrading to the version that added them (migrations
do not check: the check depends on the settings and on geo.safeguards), and after changing either setting.
Running it again changes nothing."""

from django.core.management.base import BaseCommand

from evidence.models import Incident
from evidence.services.record import incidents_check_locations
from geo.safeguards import country_outline


class Command(BaseCommand):
    help = (
        "Checks every incident's location against the country outline (SLID_COUNTRY_OUTLINE, "
        "SLID_COUNTRY_MARGIN_M) and stores its warnings; run it after upgrading and after changing either."
    )

    def handle(self, *args, **options) -> None:
        outline = country_outline()
        incidents = Incident.objects.only("pk", "location", "warnings").order_by("pk").iterator(chunk_size=2000)
        changed = incidents_check_locations(incidents)
        against = f"{outline.name} (margin {outline.margin_m} m)" if outline else "no country (the check is off)"
        self.stdout.write(f"Checked every incident against {against}: the warnings of {changed} changed.")
