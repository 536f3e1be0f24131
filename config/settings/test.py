"""Settings for the test suite: the same real services, with files and tasks kept apart from a
running `make run` (its own folder, its own Celery queue)."""

import os

from config.env import env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, STORAGES, VAR_DIR

# The role that owns the schema and runs migrations (scripts/services.sh makes it): it creates and
# migrates the test database, which the tests then use as the application role of DATABASE_URL.
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")

# SLID_TEST_INSTANCE=name keeps a second test run on the same machine apart from the first: its own
# test database, Celery queue and file folder (for running parts of the suite side by side).
_instance = os.environ.get("SLID_TEST_INSTANCE", "")
_suffix = f"-{_instance}" if _instance else ""
if _instance:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_instance}"}

# Fast hashing in tests; the Argon2 setting itself is tested against config.settings.base.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_DEFAULT_QUEUE = f"slid-test{_suffix}"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
for _name in ("default", "intake", "archive", "exports", "backups"):
    if "FileSystemStorage" in STORAGES[_name]["BACKEND"]:
        _location = str(VAR_DIR / f"test-files{_suffix}" / _name)
        STORAGES[_name] = {**STORAGES[_name], "OPTIONS": {**STORAGES[_name]["OPTIONS"], "location": _location}}

# Static assets straight from the apps, so the docs page is served without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / f"test-files{_suffix}" / "tmp")
SLID_PARTIAL_UPLOADS_DIR = str(VAR_DIR / f"test-files{_suffix}" / "partial")
# The provenance tests put the root of the certificates they sign with here (the worker reads it).
SLID_C2PA_TRUST_ANCHORS = [str(VAR_DIR / f"test-files{_suffix}" / "c2pa-trust")]

# The tests' browser must not reach a tile server on the internet: a closed port on this machine stands in
# for one that cannot be reached, so the maps show what they show offline.
SLID_MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"

# Tests clear the cache between tests; clearing a Redis cache would flush the broker's database.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
