from django.contrib.gis.db import models


class AdminArea(models.Model):
    """An administrative area of Ukraine (or elsewhere): oblast, raion or hromada, each inside its parent."""

    class Level(models.TextChoices):
        COUNTRY = "country", "Country"
        OBLAST = "oblast", "Oblast"
        RAION = "raion", "Raion"
        HROMADA = "hromada", "Hromada"

    name_uk = models.CharField("name (Ukrainian)", max_length=200)
    name_en = models.CharField("name (English)", max_length=200, blank=True)
    level = models.CharField(max_length=10, choices=Level.choices)
    code = models.CharField(max_length=32, blank=True, help_text="An official code such as KATOTTG, if known.")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    boundary = models.MultiPolygonField(srid=4326)

    class Meta:
        ordering = ["level", "name_en", "name_uk"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="adminarea_code_unique_when_given"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_en or self.name_uk} ({self.get_level_display().lower()})"
