from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = "Places"

    def ready(self) -> None:
        from geo import checks  # noqa: F401 - registers the checks
