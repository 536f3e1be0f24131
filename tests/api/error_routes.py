"""Slid's routes, the error handlers of config.urls, and views that fail: a URLconf for the error tests
(``@pytest.mark.urls``) and for a real gunicorn (tests.api.error_wsgi)."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - the handlers of this URLconf

SECRET = "internal detail that must not leak"


def failing_view(request: HttpRequest):
    raise RuntimeError(SECRET)


def database_view(request: HttpRequest) -> JsonResponse:
    from evidence.models import Case

    return JsonResponse({"cases": Case.objects.count()})


class FailingApiView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError(SECRET)


urlpatterns = [
    path("api/test/plain-failure/", failing_view),
    path("api/test/drf-failure/", FailingApiView.as_view()),
    path("api/test/database/", database_view),
    path("test/html-failure/", failing_view),
    path("test/database/", database_view),
    path("", include("config.urls")),
]
