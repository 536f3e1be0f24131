from django.apps import AppConfig


class WebConfig(AppConfig):
    """The browser workspace: server-rendered pages over the same services and selectors as the API."""

    name = "web"
    verbose_name = "Workspace"
