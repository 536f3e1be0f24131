"""Counts of a case's incidents that the database keeps up to date, so that the case home's map, timeline and
counts read a few thousand rows instead of every incident (a case may hold a million).

Triggers on the incident table (migration 0022) add and subtract in the same transaction as the change, so
the counts are never behind what a transaction sees; the SQL function evidence_incident_summaries_rebuild()
counts everything again (after a bulk load that turned the triggers off). Incident writes of one case take
turns on the counts (a transaction-level advisory lock on the case): recording is done by people, one at a
time, and an import is one transaction. Rows whose count drops to zero stay, and are read as nothing."""

from django.db import models

from evidence.models.cases import Case

# The map's grid: 2**12 cells across the world (Web Mercator), some 6.5 km wide over Ukraine. The map's
# clusters at tile zooms up to CELL_LEVEL - CLUSTER_LEVELS are sums of these cells.
CELL_LEVEL = 12


class IncidentMapCell(models.Model):
    """How many incidents of a case have their point (a line's or area's point on its surface) in a cell of
    the map's grid, and the sum of their Web Mercator coordinates (a cluster is drawn at their mean)."""

    pk = models.CompositePrimaryKey("case", "cx", "cy")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)  # the key leads with it
    cx = models.IntegerField()
    cy = models.IntegerField()
    incidents = models.IntegerField()
    sum_x = models.FloatField()
    sum_y = models.FloatField()

    def __str__(self) -> str:
        return f"{self.incidents} in cell {self.cx},{self.cy}"


class IncidentDayCount(models.Model):
    """How many incidents of a case began on a day, in the case's time zone."""

    pk = models.CompositePrimaryKey("case", "day")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)  # the key leads with it
    day = models.DateField()
    incidents = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.incidents} on {self.day}"


class IncidentFacetCount(models.Model):
    """How many incidents of a case have a status, or a crime (``""``: no crime named yet). An incident with
    three crimes counts once for each."""

    class Facet(models.TextChoices):
        STATUS = "status"
        CRIME = "crime"

    pk = models.CompositePrimaryKey("case", "facet", "value")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)  # the key leads with it
    facet = models.CharField(max_length=8, choices=Facet.choices)
    value = models.CharField(max_length=24, blank=True)
    incidents = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.incidents} with {self.facet} {self.value!r}"
