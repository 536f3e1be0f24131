"""docker-compose.yml cannot be run here (no Docker engine), so it is read and checked."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("web", "worker", "beat")
# Read by Django or Celery themselves rather than by our settings.
FRAMEWORK_VARIABLES = {"DJANGO_SETTINGS_MODULE"}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_follows_the_compose_specification():
    result = subprocess.run(
        [Path(sys.executable).parent / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_web_worker_and_beat_share_one_image_built_from_the_dockerfile():
    services = compose()["services"]

    assert {services[name]["image"] for name in APP_SERVICES} == {"slid:${SLID_IMAGE_TAG:-latest}"}
    assert all(services[name]["build"] == "." for name in APP_SERVICES)
    assert (ROOT / "Dockerfile").is_file()
    assert "celery" in services["worker"]["command"] and "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_the_stateful_services_have_healthchecks_and_volumes():
    services = compose()["services"]

    for name in ("db", "redis", "minio"):
        assert "healthcheck" in services[name], name
        assert services[name]["volumes"], name
    db_image = (ROOT / services["db"]["build"] / "Dockerfile").read_text()
    assert "FROM postgis/postgis:15-" in db_image and "pgbackrest" in db_image
    assert "--with-lock" in services["storage-setup"]["command"][0]


def test_the_database_archives_its_wal_and_a_backup_job_writes_encrypted_backups():
    services = compose()["services"]
    db_command = services["db"]["command"]

    assert "archive_mode=on" in db_command
    assert "archive_command=pgbackrest --stanza=slid archive-push %p" in db_command
    assert (ROOT / services["db"]["build"] / "pgbackrest.conf").is_file()
    backup = services["backup"]
    assert backup["command"] == ["python", "manage.py", "backup_database"]
    assert backup["environment"]["DATABASE_URL"].startswith("postgis://slid_owner:")
    assert backup["environment"]["SLID_BACKUP_KEY_FILE"] == "/run/secrets/backup_key"
    assert "backup_key" in backup["secrets"] and "backup_key" not in services["web"]["secrets"]
    assert "--with-lock backups/slid-backups" in services["storage-setup"]["command"][0]


def test_the_backups_cannot_be_deleted_with_the_keys_the_application_holds():
    services = compose()["services"]
    setup = services["storage-setup"]["command"][0]
    backup = services["backup"]["environment"]

    # Compliance mode: not even the store's root user deletes a backup or shortens its lock before 35 days.
    assert "mc retention set --default COMPLIANCE 35d backups/slid-backups" in setup
    assert "GOVERNANCE" not in setup
    # The backups are on a store of their own, reached with a user of their own, which may not delete.
    assert backup["SLID_S3_BACKUPS_ENDPOINT_URL"] == "${SLID_S3_BACKUPS_ENDPOINT_URL:-http://minio-backups:9000}"
    assert backup["SLID_S3_BACKUPS_ACCESS_KEY_ID"] == "${SLID_S3_BACKUPS_ACCESS_KEY_ID:-slid-backup}"
    assert backup["SLID_S3_BACKUPS_SECRET_ACCESS_KEY_FILE"] == "/run/secrets/backups_s3_secret_key"
    assert services["minio-backups"]["environment"]["MINIO_ROOT_PASSWORD_FILE"] == "/run/secrets/backups_s3_root_key"
    policy = json.loads(re.search(r"printf '%s' '(\{.*?\})' > /tmp/slid-backup-policy.json", setup)[1])
    actions = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])
    assert not {
        action for action in actions if "Delete" in action or "Bypass" in action or "PutObjectRetention" in action
    }
    assert "mc admin policy attach backups slid-backup --user slid-backup" in setup
    # Neither the backups' credentials nor their store's root are given to a service that serves or works.
    for name in (*APP_SERVICES, "migrate", "minio", "minio-replica"):
        service = services[name]
        assert not {"backups_s3_secret_key", "backups_s3_root_key"} & set(service.get("secrets", [])), name
        assert not any(variable.startswith("SLID_S3_BACKUPS_") for variable in service.get("environment", {})), name


def test_every_secret_file_a_service_is_told_of_is_mounted_in_it():
    # A *_FILE naming a secret the service does not mount stops the settings at start (the backup job's
    # replica key once did).
    for name, service in compose()["services"].items():
        mounted = {f"/run/secrets/{secret}" for secret in service.get("secrets", [])}
        for variable, value in service.get("environment", {}).items():
            if variable.endswith("_FILE") and str(value).startswith("/run/secrets/"):
                assert value in mounted, (name, variable)


def test_the_backup_job_reads_every_variable_it_is_given(tmp_path):
    environment = compose()["services"]["backup"]["environment"]
    assert set(environment) - _names_read(environment, tmp_path) == set()


def test_the_backups_store_uses_its_own_endpoint_and_credentials_not_the_applications(tmp_path):
    secret = tmp_path / "backups-secret"
    secret.write_text("the-backup-users-secret")
    child_env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": "postgis://slid:pw@db:5432/slid",
        "SLID_S3_ENDPOINT_URL": "http://minio:9000",
        "SLID_S3_ACCESS_KEY_ID": "slid",
        "SLID_S3_SECRET_ACCESS_KEY": "the-applications-secret",
        "SLID_BACKUPS_STORAGE": "s3",
        "SLID_S3_BACKUPS_ENDPOINT_URL": "http://minio-backups:9000",
        "SLID_S3_BACKUPS_ACCESS_KEY_ID": "slid-backup",
        "SLID_S3_BACKUPS_SECRET_ACCESS_KEY_FILE": str(secret),
    }
    program = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['backups']['OPTIONS']))"
    )
    read = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=child_env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert read.returncode == 0, read.stderr
    options = json.loads(read.stdout)

    assert options["endpoint_url"] == "http://minio-backups:9000"
    assert options["access_key"] == "slid-backup"
    assert options["secret_key"] == "the-backup-users-secret"
    assert options["bucket_name"] == "slid-backups"


def test_no_secret_is_written_into_the_compose_file():
    environment = compose()["services"]["web"]["environment"]

    for name, value in environment.items():
        if any(word in name for word in ("SECRET", "PASSWORD", "KEY")) and not name.endswith("_ID"):
            assert name.endswith("_FILE") or str(value).startswith("${"), name
        assert "PASSWORD" not in name or "${" in str(value)


def test_every_variable_compose_sets_is_read_by_the_settings(tmp_path):
    environment = compose()["services"]["web"]["environment"]
    names_read = _names_read(environment, tmp_path)

    assert set(environment) - names_read == set()


def _names_read(environment: dict, tmp_path: Path) -> set[str]:
    """The variables the settings read when started with ``environment`` (secrets as files, defaults taken)."""
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_urlsafe(64))

    def resolved(name: str, value: str) -> str:
        if name.endswith("_FILE"):
            return str(secret)
        # ${NAME:-default} becomes its default, ${NAME:?message} a placeholder.
        return re.sub(r"\$\{\w+(?::-([^}]*)|:\?[^}]*)?\}", lambda m: m.group(1) or "placeholder", value)

    child_env = {
        "PATH": os.environ["PATH"],
        **{name: resolved(name, str(value)) for name, value in environment.items()},
        "DATABASE_URL": "postgis://slid:pw@db:5432/slid",
    }
    program = (
        "import json, django; django.setup(); from config.env import NAMES_READ; print(json.dumps(sorted(NAMES_READ)))"
    )
    read = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert read.returncode == 0, read.stderr
    return set(json.loads(read.stdout)) | FRAMEWORK_VARIABLES


def test_every_web_server_is_configured_by_config_gunicorn_py_alone():
    # Settings on a command line would override config/gunicorn.py (gthread workers, whose timeout is
    # a heartbeat, not a limit on a request).
    web_command = compose()["services"]["web"]["command"][-1]
    procfile_web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    dockerfile_cmd = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))

    assert web_command.endswith("exec gunicorn --config config/gunicorn.py")
    assert procfile_web == "web: gunicorn --config config/gunicorn.py"
    assert json.loads(dockerfile_cmd.removeprefix("CMD ")) == ["gunicorn", "--config", "config/gunicorn.py"]
    assert (ROOT / "config" / "gunicorn.py").is_file()
