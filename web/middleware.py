"""What every page of the workspace answers with: its language, and headers that keep it from being
framed, cached or made to run script from anywhere but Slid itself."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers

# Paths whose pages are someone else's: the API (JSON, English) and the admin (Django's own pages, with
# a policy of their own). Everything else at the site's root is the workspace's.
NOT_THE_WORKSPACE = ("/api/", "/admin/")

# The Content Security Policy of every workspace page: scripts, styles, fonts, images and connections
# from Slid's own origin only, no inline script or style, no plugins, no framing. A page that needs
# more (a map's tile server) adds that origin here, from a setting, with the reason.
CONTENT_SECURITY_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "media-src": ["'self'"],
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def content_security_policy() -> str:
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in CONTENT_SECURITY_POLICY.items())


def is_workspace(request: HttpRequest) -> bool:
    return not request.path.startswith(NOT_THE_WORKSPACE)


class WorkspaceLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the language cookie set by the language switch, then the browser's
    Accept-Language) for the workspace and the admin. The API always answers in English: its messages
    are a contract that scripts read, and half-translated errors (Django's in Ukrainian, Slid's in
    English) would help nobody."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path.startswith("/api/"):
            return response
        return super().process_response(request, response)


class WorkspaceHeadersMiddleware:
    """Adds to every workspace answer (pages, fragments, redirects, errors): the Content Security Policy
    above, ``Cache-Control: no-store`` (a page of a case must stay in no browser or proxy cache; the
    sign-in page costs nothing to fetch again) and ``X-Frame-Options: DENY`` (also set for the whole
    site by Django's XFrameOptionsMiddleware; here so the workspace does not depend on it). Static files
    never reach this (WhiteNoise answers them first), so they stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_workspace(request):
            response.setdefault("Content-Security-Policy", self.policy)
            response.headers["X-Frame-Options"] = "DENY"
            add_never_cache_headers(response)
        return response
