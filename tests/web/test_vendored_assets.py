"""The front-end files Slid serves itself are exactly those of web/vendor.json: pinned, with their
licences, each byte for byte what scripts/vendor-assets fetched from the npm registry."""

import hashlib
import json
import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client

ROOT = Path(settings.BASE_DIR)
MANIFEST = json.loads((ROOT / "web" / "vendor.json").read_text())
SERVED = ROOT / "web" / "static" / "web" / "vendor"


def folder(entry: dict) -> Path:
    name = f"{entry['package'].removeprefix('@').replace('/', '-')}-{entry['version']}"
    return ROOT / entry.get("into", "web/static/web/vendor") / name


def test_every_vendored_file_matches_the_manifest():
    for entry in MANIFEST["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"]), f"{entry['package']}: pin an exact version"
        assert entry["integrity"].startswith("sha512-"), entry["package"]
        for name, digest in entry["files"].items():
            path = folder(entry) / name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path


def test_every_package_keeps_its_licence():
    for entry in MANIFEST["packages"]:
        assert entry["licence"], entry["package"]
        assert any(re.match(r"(LICEN[CS]E|COPYING)", Path(name).name, re.I) for name in entry["files"]), entry


def test_nothing_is_served_from_the_vendor_folder_that_the_manifest_does_not_list():
    listed = {folder(entry) / name for entry in MANIFEST["packages"] for name in entry["files"]}
    present = {path for path in SERVED.rglob("*") if path.is_file()}

    assert present <= listed, sorted(str(p.relative_to(ROOT)) for p in present - listed)


def test_the_script_checks_the_files_offline():
    checked = subprocess.run(
        [str(ROOT / "scripts" / "vendor-assets"), "--check"], capture_output=True, text=True, check=False
    )

    assert (checked.returncode, checked.stdout) == (0, "")


def test_the_vendor_tag_names_the_pinned_file_and_slid_serves_it(db):
    url = Template('{% load workspace %}{% vendor "htmx.org" "dist/htmx.min.js" %}').render(Context())

    assert url == "/static/web/vendor/htmx.org-2.0.11/dist/htmx.min.js"
    response = Client().get(url)
    assert response.status_code == 200
    assert (
        hashlib.sha256(b"".join(response.streaming_content)).hexdigest()
        == (MANIFEST["packages"][0]["files"]["dist/htmx.min.js"])
    )


def test_the_vendor_tag_refuses_a_file_the_manifest_does_not_list_or_does_not_serve():
    for tag in ('{% vendor "htmx.org" "dist/htmx.js" %}', '{% vendor "axe-core" "axe.min.js" %}'):
        try:
            Template("{% load workspace %}" + tag).render(Context())
        except TemplateSyntaxError:
            continue
        raise AssertionError(f"{tag} rendered")
