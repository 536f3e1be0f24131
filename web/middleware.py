"""What every page of the workspace answers with: its language, and headers that keep it from being
framed, cached or made to run script from anywhere but Slid itself."""

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils.cache import add_never_cache_headers

# Paths whose pages are someone else's: the API (JSON) and the admin (Django's own pages, with
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
    policy = {**CONTENT_SECURITY_POLICY}
    tiles = map_tile_origin(settings.SLID_MAP_TILE_URL)
    if tiles:  # the maps' base tiles (SLID_MAP_TILE_URL) are images from that origin, and nothing else from it
        policy["img-src"] = [*policy["img-src"], tiles]
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in policy.items())


def map_tile_origin(url: str) -> str:
    """The origin of a tile URL template, as a CSP source: https://tile.openstreetmap.org, or
    https://*.tile.example.org for a template that picks a server ({a-c}.tile.example.org); "" for none.
    Anything that is not an http(s) URL of a host with {z}, {x} and {y} stops the start."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not all(f"{{{c}}}" in url for c in "zxy"):
        raise ImproperlyConfigured(f"SLID_MAP_TILE_URL={url!r}: an http(s) URL with {{z}}, {{x}} and {{y}}")
    first, dot, rest = host.partition(".")
    wildcard = bool(re.fullmatch(r"\{[a-z0-9-]+\}", first) and dot)
    if wildcard:
        host = rest
    if re.fullmatch(r"[0-9a-f:]+:[0-9a-f:.]*", host):
        host = f"[{host}]"
    elif not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", host) or parts.username or parts.password:
        raise ImproperlyConfigured(f"SLID_MAP_TILE_URL={url!r}: its host must be a plain name or address")
    if wildcard:
        host = f"*.{host}"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def is_workspace(request: HttpRequest) -> bool:
    return not request.path.startswith(NOT_THE_WORKSPACE)


class WorkspaceLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the language cookie set by the language switch, then the browser's
    Accept-Language) for the workspace, the admin and the API alike. The API answers in English unless
    the client asks for Ukrainian (``Accept-Language: uk``): its messages, Slid's own as well as Django's
    and DRF's, are all translated; codes, field names and choice values never are."""


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
            # SAMEORIGIN only where a view asks for it: the evidence media route, for a PDF that Slid's own
            # evidence page frames (web.views.evidence); its policy then says frame-ancestors 'self'.
            if response.get("X-Frame-Options") != "SAMEORIGIN":
                response.headers["X-Frame-Options"] = "DENY"
            add_never_cache_headers(response)
        return response
