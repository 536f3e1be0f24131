import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from evidence.demo import DEMO_REFERENCE
from evidence.models import Case

pytestmark = pytest.mark.django_db


def test_ensure_admin_creates_a_superuser_and_a_private_credentials_file(tmp_path, capsys):
    credentials = tmp_path / "var" / "admin-credentials.txt"

    call_command("ensure_admin", credentials_file=credentials)

    printed = capsys.readouterr().out
    password = credentials.read_text().split("password=")[1].strip()
    assert password in printed
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)


def test_ensure_admin_run_again_keeps_the_password(tmp_path, capsys):
    credentials = tmp_path / "admin-credentials.txt"
    call_command("ensure_admin", credentials_file=credentials)
    first = credentials.read_text()

    call_command("ensure_admin", credentials_file=credentials)

    assert credentials.read_text() == first
    assert first.split("password=")[1].strip() not in capsys.readouterr().out.splitlines()[-1]


def test_load_demo_is_idempotent_and_makes_the_admin_its_lead(tmp_path):
    call_command("ensure_admin", credentials_file=tmp_path / "c.txt")

    call_command("load_demo", lead="admin")
    call_command("load_demo", lead="admin")

    case = Case.objects.get(reference=DEMO_REFERENCE)
    assert case.memberships.get(role="lead").user.username == "admin"
    # And a legal member who verifies what the admin recorded (nobody verifies their own work), without a password.
    reviewer = case.memberships.get(role="legal").user
    assert reviewer.username == "demo-legal" and not reviewer.has_usable_password()
    assert case.memberships.count() == 2
    # Incidents to look at on the case home: two with the case, ten more, each once however often it runs.
    assert case.incidents.count() == 12
    assert case.incidents.filter(place_name__startswith="Mariupol").count() == 2
    # And evidence to look at, received once: a photo with its camera time and place, a PDF, a statement.
    evidence = {item.original_filename: item for item in case.evidence.all()}
    assert sorted(evidence) == ["IMG_0412.jpg", "protocol-of-inspection.pdf", "statement-W-0001.txt"]
    assert all(item.status == "received" and len(item.sha256) == 64 for item in evidence.values())
    assert [incident.title for incident in evidence["IMG_0412.jpg"].incidents.all()] == [
        "Killings of civilians in Bucha"
    ]
