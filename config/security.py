"""The Content-Security-Policy header of every answer (SLID_CONTENT_SECURITY_POLICY): Slid's pages (the
API docs, the browsable API, the admin and its map) load scripts, styles, images and fonts from Slid
alone, send forms and requests to Slid alone, and may be framed by no one. tests/test_no_other_origin.py
renders every page and checks that none names another origin."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.SLID_CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.SLID_CONTENT_SECURITY_POLICY)
        return response
