"""Nothing Slid serves loads anything from another origin: every admin list, add and change page, the
API docs (Swagger UI, its start-up script, Redoc), the browsable API and the admin's login are rendered,
and each ``src``, ``href`` and CSS ``url()`` in them must point to Slid itself, and be served. Every
answer carries the Content-Security-Policy that keeps the browser to that too (config.security)."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from evidence.models import Role
from evidence.services.audit import audit_record
from tests.factories import MembershipFactory, UserFactory, make_area

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?)([^"'\s)>]+)""", re.IGNORECASE)
OTHER_ORIGIN = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, //host
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture
def root(case_a) -> Client:
    """A superuser's browser, with one object of every model the admin shows."""
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    MembershipFactory(case=case_a, user=user, role=Role.LEAD)
    make_area("Kyivska", (29.2, 49.2, 32.2, 51.5))
    audit_record(actor=user, case=case_a, action="case.create", target=case_a.reference)
    Group.objects.create(name="investigators")
    browser = Client()
    browser.force_login(user)
    return browser


def admin_pages() -> list[str]:
    pages = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages.append(reverse("admin:{}_{}_add".format(*info)))
        obj = model.objects.order_by("pk").first()
        assert obj is not None, f"no {model._meta.label} to show the change page of: add one to the fixture"
        pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    return pages


def references(text: str) -> list[str]:
    return [match.group(1) for match in REFERENCE.finditer(text)]


def assert_from_slid_alone(browser: Client, url: str, response) -> int:
    """Checks one page; returns how many references it had."""
    assert response["Content-Security-Policy"] == POLICY, url
    text = response.content.decode()
    found = references(text)
    elsewhere = [ref for ref in found if OTHER_ORIGIN.match(ref) and not ref.startswith("http://testserver/")]
    assert not elsewhere, f"{url} refers to another origin: {elsewhere}"
    for ref in found:
        if ref.startswith("/static/"):
            asset = browser.get(ref)
            assert asset.status_code == 200, (url, ref)
            if ref.endswith(".css"):
                css = b"".join(asset.streaming_content).decode() if asset.streaming else asset.content.decode()
                outside = [r for r in references(css) if OTHER_ORIGIN.match(r)]
                assert not outside, f"{ref} (from {url}) refers to another origin: {outside}"
    return len(found)


def test_every_admin_page_loads_from_slid_alone(root):
    for url in admin_pages():
        response = root.get(url)
        if response.status_code == 403:  # the admin offers no add page for cases and audit entries
            continue
        assert response.status_code == 200, url
        assert assert_from_slid_alone(root, url, response) > 0, url


def test_the_admin_map_uses_the_vendored_openlayers_and_no_tiles(root):
    area = make_area("Buchanska", (29.9, 50.4, 30.4, 50.7), level="raion")

    page = root.get(f"/admin/geo/adminarea/{area.pk}/change/").content.decode()

    assert "/static/web/vendor/ol-7.2.2/dist/ol.js" in page
    assert "/static/geo/offline_map.js" in page
    assert "cdn.jsdelivr.net" not in page and "openstreetmap" not in page.lower()
    assert "<script>" not in page  # the map's options come as JSON, so the policy needs no inline scripts


@pytest.mark.parametrize(
    "url",
    ["/api/v1/docs/", "/api/v1/docs/?script=", "/api/v1/redoc/", "/api/v1/schema/", "/admin/login/", "/api/v1/health/"],
)
def test_the_api_docs_and_the_login_page_load_from_slid_alone(url):
    browser = Client()
    response = browser.get(url)

    assert response.status_code == 200, url
    assert_from_slid_alone(browser, url, response)


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/incidents/", "/api/v1/evidence/", "/api/v1/cases/{case}/"])
def test_the_browsable_api_loads_from_slid_alone(root, case_a, url):
    url = url.format(case=case_a.pk)
    response = root.get(url, HTTP_ACCEPT="text/html")

    assert response.status_code == 200, url
    assert assert_from_slid_alone(root, url, response) > 0


def test_the_static_files_collect_with_hashed_names(tmp_path, settings):
    """What `make run` and the image do (collectstatic with a manifest): a vendored file that names a
    file Slid does not ship (a source map) would stop it."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    call_command("collectstatic", "--no-input", verbosity=0)

    assert list(tmp_path.glob("web/vendor/ol-7.2.2/dist/ol.*.js"))
