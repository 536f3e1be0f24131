import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def import_settings(module: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_with_the_default_secret():
    result = import_settings("config.settings.production")

    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def real_identity_keys() -> dict[str, str]:
    import base64

    return {
        "SLID_IDENTITY_KEYS": f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        "SLID_IDENTITY_KEY_ID": "k1",
    }


def test_production_starts_with_a_real_secret():
    result = import_settings(
        "config.settings.production", DJANGO_SECRET_KEY=secrets.token_urlsafe(64), **real_identity_keys()
    )

    assert result.returncode == 0, result.stderr


def test_a_bad_setting_stops_the_start_with_its_name():
    result = import_settings("config.settings.base", SLID_ARCHIVE_STORAGE="tape")

    assert result.returncode != 0
    assert "SLID_ARCHIVE_STORAGE='tape' must be one of local, s3" in result.stderr


def test_the_database_engine_is_postgis_whatever_the_url_scheme():
    result = subprocess.run(
        [sys.executable, "-c", "from config.settings import base; print(base.DATABASES['default']['ENGINE'])"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DATABASE_URL": "postgres://u:p@db:5432/slid"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "django.contrib.gis.db.backends.postgis"


def test_celery_acknowledges_late_and_speaks_only_json():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    # Short on purpose: a task taken by a killed worker comes back within a minute. A second copy of a
    # task still running finds the item's lease held and does nothing (tests/evidence/test_state_machine.py).
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == 60
    assert settings.SLID_LEASE_SECONDS == 60


def test_passwords_are_hashed_with_argon2():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_settings_pass_the_deployment_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            **real_identity_keys(),
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_long_but_trivial_secret():
    result = import_settings("config.settings.production", DJANGO_SECRET_KEY="k" * 64, **real_identity_keys())

    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_the_public_development_identity_key():
    result = import_settings("config.settings.production", DJANGO_SECRET_KEY=secrets.token_urlsafe(64))

    assert result.returncode != 0
    assert "SLID_IDENTITY_KEYS" in result.stderr
