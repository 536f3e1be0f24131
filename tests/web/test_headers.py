"""Every workspace answer carries its Content Security Policy, refuses framing and stays out of caches;
the templates and the own static files load nothing from another origin and hold no inline script."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from evidence.models import Role
from web.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.django_db

WEB = Path(settings.BASE_DIR) / "web"
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
OWN_STATIC = sorted(p for p in (WEB / "static").rglob("*") if p.suffix in (".js", ".css") and "vendor" not in p.parts)
# The policy of the workspace, as the README states it, with the origin of the map's tiles for images (the
# tests' unreachable stand-in, config/settings/test.py; OpenStreetMap's by default).
EXPECTED_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' http://127.0.0.1:9; font-src 'self'; "
    "connect-src 'self'; media-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def answers(case, lead) -> dict[str, object]:
    signed_in = Client()
    signed_in.force_login(lead)
    anonymous = Client()
    return {
        "sign-in page": anonymous.get("/signin/"),
        "redirect to sign in": anonymous.get(f"/cases/{case.reference}/"),
        "case list": signed_in.get("/"),
        "case list, htmx fragment": signed_in.get("/?q=BUCHA", headers={"HX-Request": "true"}),
        "case home": signed_in.get(f"/cases/{case.reference}/"),
        "foreign case (404)": signed_in.get("/cases/UA-2099-NOWHERE/"),
        "no such page (404)": signed_in.get("/no/such/page/"),
        "sign out (redirect)": signed_in.post("/signout/"),
    }


def test_every_workspace_answer_has_the_policy_and_stays_out_of_caches_and_frames(case_a, member_of):
    for what, response in answers(case_a, member_of(case_a, Role.LEAD)).items():
        assert response["Content-Security-Policy"] == EXPECTED_POLICY, what
        assert response["X-Frame-Options"] == "DENY", what
        assert "no-store" in response["Cache-Control"], what


def test_the_policy_allows_no_inline_script_and_no_other_origin():
    for directive, sources in CONTENT_SECURITY_POLICY.items():
        for source in sources:
            assert source in ("'self'", "'none'"), (directive, source)


def test_the_api_and_the_admin_keep_the_sites_general_policy(case_a, member_of):
    """config.security's, which Swagger UI and the admin's map need; the workspace's is stricter."""
    client = Client()
    client.force_login(member_of(case_a, Role.LEAD))

    for response in (client.get("/api/v1/health/"), client.get("/admin/login/")):
        assert response["Content-Security-Policy"] == settings.SLID_CONTENT_SECURITY_POLICY != EXPECTED_POLICY


def test_the_case_list_fragment_is_only_the_table(case_a, member_of):
    client = Client()
    client.force_login(member_of(case_a, Role.LEAD))

    fragment = client.get("/?q=bucha", headers={"HX-Request": "true"}).content.decode()
    none = client.get("/?q=IZIUM", headers={"HX-Request": "true"}).content.decode()

    assert fragment.lstrip().startswith('<div id="case-table"') and "<html" not in fragment
    assert "UA-2022-BUCHA" in fragment and "UA-2022-BUCHA" not in none


INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
# src=, href=, action=, url(...), @import: where a template or stylesheet names something to load.
REFERENCE = re.compile(r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']|url\(\s*["']?|@import\s+["'])([^"')\s]+)""")


def foreign(reference: str) -> bool:
    """Whether a reference leaves Slid's origin (a scheme or a protocol-relative //)."""
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:|//)", reference, re.IGNORECASE)) and not reference.startswith("#")


def test_templates_hold_no_inline_script_and_no_inline_handler():
    for template in TEMPLATES:
        text = template.read_text()
        assert not INLINE_HANDLER.search(text), template
        for attributes in SCRIPT_TAG.findall(text):
            assert "src=" in attributes, f"{template}: an inline <script>"
        assert "style=" not in text, f"{template}: an inline style (the policy refuses it)"
        assert "javascript:" not in text.lower(), template


def test_templates_and_own_static_files_load_only_from_slid():
    for path in [*TEMPLATES, *OWN_STATIC]:
        for reference in REFERENCE.findall(path.read_text()):
            assert not foreign(reference), f"{path}: {reference}"


def test_the_reference_check_would_see_another_origin():
    text = '<script src="https://cdn.example/htmx.js"></script><link href="//fonts.example/x.css"> url(http://x/y.png)'

    assert [foreign(r) for r in REFERENCE.findall(text)] == [True, True, True]


def test_rendered_pages_load_only_from_slid(case_a, member_of):
    for what, response in answers(case_a, member_of(case_a, Role.LEAD)).items():
        html = response.content.decode()
        for reference in REFERENCE.findall(html):
            assert not foreign(reference), (what, reference)
        assert not INLINE_HANDLER.search(html), what
        # A script element is a file of Slid's, or data for one (Django's json_script), never code inline.
        scripts = SCRIPT_TAG.findall(html)
        assert all("src=" in a or 'type="application/json"' in a for a in scripts), what


def test_the_workspace_own_scripts_and_styles_stay_small():
    # The limit is 1 MB; all of it is a tenth of that now, and a page that needs more than the
    # rest together should say why here.
    own = sum(path.stat().st_size for path in OWN_STATIC)
    assert own < 250_000, f"{own} bytes of the workspace's own JS and CSS"
