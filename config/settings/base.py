"""Slid's settings. Every value that differs between machines comes from the environment;
the defaults are safe for a developer's machine (`make run`). README.md lists every variable."""

import re
from pathlib import Path

import dj_database_url

from config.env import ImproperlyConfiguredEnv, env_bool, env_choice, env_int, env_list, env_rate, env_str
from web.static_headers import add_static_headers

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("SLID_VAR_DIR", str(BASE_DIR / "var")))

# A fixed key is only acceptable for local use; config.settings.production refuses it.
INSECURE_DEFAULT_SECRET_KEY = "insecure-local-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "evidence.admin_apps.SlidAdminConfig",  # the admin, signing in by the API's rules
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "geo",
    "evidence",
    "workers",
    "api",
    "web",
]

MIDDLEWARE = [
    # First: what a client says about its own connection is dropped unless a trusted proxy said it.
    "evidence.request_context.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.WorkspaceLocaleMiddleware",  # after sessions, before CommonMiddleware
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "web.middleware.WorkspaceHeadersMiddleware",
    "evidence.request_context.SourceAddressMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.workspace",
            ],
        },
    },
]

# --- Database: PostGIS, whatever scheme the URL names -----------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "postgis://slid@127.0.0.1:54329/slid")
# A kept connection is checked before a request uses it, so one the server closed meanwhile (a restart,
# a failover) is replaced instead of failing the request.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
# Slid's queries are short, and two planner features cost them more than they give:
# - JIT: PostGIS functions carry high cost estimates, which make PostgreSQL JIT-compile short
#   queries; seen adding 0.7-0.9 s to a 100 ms bbox query.
# - parallel workers: starting them costs ~20 ms a query; the first page of a bbox list took
#   26 ms in parallel and 4.5 ms without (docs/performance.md).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c max_parallel_workers_per_gather=0"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# The workspace and the API speak English and Ukrainian (locale/uk/LC_MESSAGES/django.po; Accept-Language).
LANGUAGES = [("uk", "Українська"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["web.formats"]
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
# Each store is chosen on its own: SLID_<STORE>_STORAGE=local (a folder under SLID_FILES_ROOT)
# or s3 (a bucket, SLID_S3_<STORE>_BUCKET, on the S3-compatible service below).
FILES_ROOT = Path(env_str("SLID_FILES_ROOT", str(VAR_DIR / "files")))
S3_ENDPOINT_URL = env_str("SLID_S3_ENDPOINT_URL")
S3_REGION = env_str("SLID_S3_REGION", "us-east-1")
S3_ACCESS_KEY_ID = env_str("SLID_S3_ACCESS_KEY_ID")
S3_SECRET_ACCESS_KEY = env_str("SLID_S3_SECRET_ACCESS_KEY")


# django-storages reads an S3 object whole into a spool before the first byte is read; its default (0) never
# rolls over to disk, so a 20 GB video would be held in memory. Past this size it goes to FILE_UPLOAD_TEMP_DIR.
# (Slid's own reads of archived files stream the object instead: evidence.replication.read_chunks.)
S3_MAX_MEMORY_BYTES = 8 * 1024**2

# The archive is write-once: read-only files never overwritten, or S3 objects under Object Lock.
WRITE_ONCE_BACKENDS = {
    "local": "workers.archive.WriteOnceFileSystemStorage",
    "s3": "workers.archive.ObjectLockS3Storage",
}


def _store(name: str, location: Path | None = None) -> dict:
    backend = env_choice(f"SLID_{name.upper()}_STORAGE", "local", ("local", "s3"))
    write_once = name == "archive"
    if backend == "local":
        return {
            "BACKEND": WRITE_ONCE_BACKENDS["local"] if write_once else "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location or FILES_ROOT / name), "base_url": None},
        }
    return {
        "BACKEND": WRITE_ONCE_BACKENDS["s3"] if write_once else "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str(f"SLID_S3_{name.upper()}_BUCKET", f"slid-{name}"),
            "endpoint_url": S3_ENDPOINT_URL or None,
            "region_name": S3_REGION,
            "access_key": S3_ACCESS_KEY_ID or None,
            "secret_key": S3_SECRET_ACCESS_KEY or None,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "max_memory_size": S3_MAX_MEMORY_BYTES,
        },
    }


STORAGES = {
    "default": _store("media"),
    "intake": _store("intake"),
    "archive": _store("archive"),
    "exports": _store("exports"),
    # Database backups (manage.py backup_database): a store of their own, apart from the files they describe.
    "backups": _store("backups", Path(env_str("SLID_BACKUPS_DIR", str(VAR_DIR / "backups")))),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if "location" in STORAGES["backups"]["OPTIONS"]:
    # A dump holds the whole record: readable by the user who made it alone.
    STORAGES["backups"]["OPTIONS"] |= {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}
else:
    # On S3, the backups have an endpoint and credentials of their own (SLID_S3_BACKUPS_*), which only the backup
    # job holds: never the application's, which web and worker hold, so whoever takes those cannot reach the
    # backups. Left unset, the credentials are botocore's own chain (an instance role), never SLID_S3_*'s.
    STORAGES["backups"]["OPTIONS"] |= {
        "endpoint_url": env_str("SLID_S3_BACKUPS_ENDPOINT_URL") or None,
        "region_name": env_str("SLID_S3_BACKUPS_REGION", "us-east-1"),
        "access_key": env_str("SLID_S3_BACKUPS_ACCESS_KEY_ID") or None,
        "secret_key": env_str("SLID_S3_BACKUPS_SECRET_ACCESS_KEY") or None,
    }

# Replicas of the archive (evidence.services.copies): further write-once stores, each configured on its own
# so that one can be in another country with another provider. SLID_ARCHIVE_REPLICAS names them ("kyiv,
# frankfurt"); each is the Django storage "archive-replica-<name>", configured by SLID_REPLICA_<NAME>_*.
REPLICA_STORE_PREFIX = "archive-replica-"
REPLICA_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


def replica_store(name: str) -> dict:
    """The storage of replica ``name``: SLID_REPLICA_<NAME>_BACKEND local (a folder, _ROOT) or s3 (_BUCKET,
    _ENDPOINT_URL, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY), write-once like the primary."""
    if not REPLICA_NAME.match(name):
        raise ImproperlyConfiguredEnv(
            f"SLID_ARCHIVE_REPLICAS: {name!r} is not a replica name (lower-case letters, digits and hyphens)"
        )
    prefix = f"SLID_REPLICA_{name.upper().replace('-', '_')}_"
    if env_choice(f"{prefix}BACKEND", "local", ("local", "s3")) == "local":
        root = env_str(f"{prefix}ROOT", str(FILES_ROOT / f"replica-{name}"))
        return {"BACKEND": WRITE_ONCE_BACKENDS["local"], "OPTIONS": {"location": root, "base_url": None}}
    return {
        "BACKEND": WRITE_ONCE_BACKENDS["s3"],
        "OPTIONS": {
            "bucket_name": env_str(f"{prefix}BUCKET", f"slid-replica-{name}"),
            "endpoint_url": env_str(f"{prefix}ENDPOINT_URL") or None,
            "region_name": env_str(f"{prefix}REGION", "us-east-1"),
            "access_key": env_str(f"{prefix}ACCESS_KEY_ID") or None,
            "secret_key": env_str(f"{prefix}SECRET_ACCESS_KEY") or None,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "max_memory_size": S3_MAX_MEMORY_BYTES,
        },
    }


def replica_storages(names: list[str]) -> dict[str, dict]:
    return {f"{REPLICA_STORE_PREFIX}{name}": replica_store(name) for name in names}


SLID_ARCHIVE_REPLICAS = env_list("SLID_ARCHIVE_REPLICAS", [])
if len(set(SLID_ARCHIVE_REPLICAS)) != len(SLID_ARCHIVE_REPLICAS):
    raise ImproperlyConfiguredEnv(f"SLID_ARCHIVE_REPLICAS names a replica twice: {SLID_ARCHIVE_REPLICAS}")
STORAGES.update(replica_storages(SLID_ARCHIVE_REPLICAS))
# How many good copies (the primary's and the replicas') an archived item must have; fewer is reported in
# /health/ and by `manage.py check_copies`.
SLID_ARCHIVE_MIN_COPIES = env_int("SLID_ARCHIVE_MIN_COPIES", 1 + len(SLID_ARCHIVE_REPLICAS))
STATIC_URL = "static/"
# The upload page's hash worker is sent with a policy of its own (web/static_headers.py says why).
WHITENOISE_ADD_HEADERS_FUNCTION = add_static_headers
STATIC_ROOT = VAR_DIR / "static"

# --- Celery (read by config.celery through the CELERY_ namespace) ---------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:63799/0")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env_str("SLID_CELERY_QUEUE", "slid")
# A task is acknowledged only when it finished, and given back to the queue if its worker died.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("SLID_TASK_TIME_LIMIT", 4 * 3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
# Redis hands an unacknowledged task out again after this long. It need not outlast a task: the
# claim's lease keeps a second run from doing anything while the first is alive (workers.processing);
# it is short so that tasks taken by a worker that was killed come back within a minute or two. Workers look
# for such tasks every SLID_BROKER_RESTORE_SECONDS (kombu's pace, 100 s). A task without a lease (a replica's
# copy) that runs longer than the timeout is handed out again when they look, so looking more often means more
# copies made twice; the fault tests look every second.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("SLID_BROKER_VISIBILITY_SECONDS", 60),
    "unacked_restore_interval": env_int("SLID_BROKER_RESTORE_SECONDS", 100),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = "UTC"
# Celery's Django fix-up closes the database connection around every task unless this is set, and a
# new connection (TCP, SCRAM, PostGIS set-up) cost more than the rest of a photo's database work. The
# kept connection is checked before each task instead (workers.connections). Closed after this many.
CELERY_DB_REUSE_MAX = env_int("SLID_WORKER_DB_REUSE_MAX", 1000)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.authentication.ApiTokenAuthentication",
        "api.auth.authentication.SecondFactorSessionAuthentication",
    ],
    # Every route's rule is in api.access.ACCESS; a route missing there is refused.
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TablePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        # A list refuses query parameters it does not take (400 naming them) instead of ignoring them.
        "api.filters.KnownParametersOnly",
        "api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardPagination",
    # JSON everywhere; the evidence upload alone reads multipart (api.evidence.views).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.SafeJSONParser"],
    # The browsable API shows only forms that can succeed (api.renderers).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "api.renderers.BrowsableAPIRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Shared by every web worker: login throttles and lockouts.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("SLID_CACHE_URL", CELERY_BROKER_URL),
        "KEY_PREFIX": "slid-cache",
    }
}
SLID_TOKEN_TTL_HOURS = env_int("SLID_TOKEN_TTL_HOURS", 12)
SLID_LOGIN_MAX_FAILURES = env_int("SLID_LOGIN_MAX_FAILURES", 5)
SLID_LOGIN_LOCKOUT_MINUTES = env_int("SLID_LOGIN_LOCKOUT_MINUTES", 15)
# Login attempts per client address (an IPv6 client's /64): "<number>/<s|min|h|day>".
SLID_LOGIN_RATE = env_rate("SLID_LOGIN_RATE", "20/min")
# Proxies whose X-Forwarded-For is believed (addresses or networks, e.g. "10.0.0.0/8"); none by default,
# so a client cannot pass itself off as another address (evidence.request_context.client_address).
SLID_TRUSTED_PROXIES = env_list("SLID_TRUSTED_PROXIES", [])
# Leads, legal members and named readers must have a second factor to reveal identities or export.
SLID_REQUIRE_TOTP = env_bool("SLID_REQUIRE_TOTP", False)
# A password a staff member issues (a new account's, or a lost one's replacement) works this long, and
# only to choose one's own (evidence.models.IssuedPassword).
SLID_ONE_TIME_PASSWORD_HOURS = env_int("SLID_ONE_TIME_PASSWORD_HOURS", 72)
# A lead who names this many colleagues that match no active account (by username or e-mail) within the
# window waits for the window to pass (429): guessing who has an account is slowed to a crawl.
SLID_MEMBER_LOOKUP_MAX_FAILURES = env_int("SLID_MEMBER_LOOKUP_MAX_FAILURES", 20)
SLID_MEMBER_LOOKUP_WINDOW_MINUTES = env_int("SLID_MEMBER_LOOKUP_WINDOW_MINUTES", 15)
SPECTACULAR_SETTINGS = {
    "TITLE": "Slid API",
    "DESCRIPTION": "War-crimes evidence documentation: cases, incidents, evidence and its chain of custody.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["api.permissions.TablePermission"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.multipart_bodies_for_swagger_ui",
    ],
    # No badge from swagger.io's online validator: the docs load nothing from another origin.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # A case role is both read (a membership) and written (adding a member): one enum, named.
    # Confidence and probative value are both low, medium or high: one enum in the schema.
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "evidence.models.cases.Role",
        # Evidence items and the links between them both have a "kind".
        "EvidenceKindEnum": "evidence.models.items.EvidenceKind",
        "RelationKindEnum": "evidence.models.relations.RelationKind",
        "ConfidenceEnum": "evidence.models.record.Confidence",
    },
}

# --- Security defaults that hold everywhere -------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A browser session (the workspace's, the admin's) ends this long after signing in, used or not: as long
# as a token unless set apart (Django's default is two weeks).
SLID_SESSION_HOURS = env_int("SLID_SESSION_HOURS", SLID_TOKEN_TTL_HOURS)
SESSION_COOKIE_AGE = SLID_SESSION_HOURS * 3600
LOGIN_URL = "web:signin"
# Everything from Slid itself (config.security). Inline styles are allowed for Swagger UI and Redoc, which
# set styles from their scripts; inline scripts are not. Images may be data: and blob: URLs (Swagger UI's
# icons), and Redoc runs its search in a worker made from a blob.
SLID_CONTENT_SECURITY_POLICY = env_str(
    "SLID_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)

LOG_LEVEL = env_choice("SLID_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": LOG_LEVEL,
    },
}

# Debian 12's GDAL (3.6) cannot be told to refuse file and network access while resolving a
# spatial reference. Slid never hands GDAL a spatial reference from a request: geo.validation
# refuses GeoJSON with a "crs" member, and files for import_* commands come from operators.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# A geometry with more vertices than this is refused (a boundary of an oblast has some 10,000).
SLID_MAX_GEOMETRY_VERTICES = env_int("SLID_MAX_GEOMETRY_VERTICES", 100_000)
# Incidents placed outside this country (a GeoJSON outline; empty: no check) get a warning, as do those
# that would be inside it with latitude and longitude swapped. The margin allows for the outline's coarseness.
SLID_COUNTRY_OUTLINE = env_str("SLID_COUNTRY_OUTLINE", str(BASE_DIR / "geo" / "data" / "ukraine.geojson"))
SLID_COUNTRY_MARGIN_M = env_int("SLID_COUNTRY_MARGIN_M", 2000)
# The workspace's base map: tiles from this URL ({z}, {x}, {y}; {a-c} for a server's subdomain), under the
# attribution its provider asks for (OpenStreetMap's tile usage policy does). Empty: no tiles; the maps then
# draw the country outline and the admin areas Slid serves, as they do when the tile server is unreachable.
# Its origin alone is allowed for images in the workspace's Content Security Policy (web.middleware).
SLID_MAP_TILE_URL = env_str("SLID_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
SLID_MAP_TILE_ATTRIBUTION = env_str("SLID_MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
# Evidence whose file says it was captured farther than this from a linked incident is flagged.
SLID_EVIDENCE_FAR_FROM_INCIDENT_M = env_int("SLID_EVIDENCE_FAR_FROM_INCIDENT_M", 1000)

# --- Evidence intake and preservation -------------------------------------------------------
SLID_MAX_UPLOAD_BYTES = env_int("SLID_MAX_UPLOAD_BYTES", 20 * 1024**3)
# Uploads stream to a temporary file next to the intake store, so saving them there is a rename.
FILE_UPLOAD_TEMP_DIR = str(FILES_ROOT / "tmp")
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024**2
FILE_UPLOAD_HANDLERS = ["api.uploads.SizeLimitedUploadHandler"]
# Resumable uploads from the browser (tus, evidence.services.resumable): their bytes wait here, never
# served, until the last one is in; one untouched this long is removed (hourly, with the intake orphans).
# On the files' disk, so that handing a complete one to the intake store is a rename (a hard link).
SLID_PARTIAL_UPLOADS_DIR = env_str("SLID_PARTIAL_UPLOADS_DIR", str(FILES_ROOT / "partial"))
SLID_UPLOAD_EXPIRY_HOURS = env_int("SLID_UPLOAD_EXPIRY_HOURS", 7 * 24)
# The browser sends each file in requests of this size: a dropped connection loses at most one.
SLID_UPLOAD_CHUNK_BYTES = env_int("SLID_UPLOAD_CHUNK_BYTES", 8 * 1024**2)
# SHA-256 is always computed (archive keys and duplicates rest on it); MD5 for older forensic tools.
SLID_DIGESTS = env_list("SLID_DIGESTS", ["sha256", "md5"])
SLID_TOOL_TIMEOUT_SECONDS = env_int("SLID_TOOL_TIMEOUT_SECONDS", 120)
SLID_EXIFTOOL = env_str("SLID_EXIFTOOL", "exiftool")
# Content Credentials (C2PA) read at intake are validated against the trust anchors bundled in
# evidence/data/c2pa/trust/ and these: PEM files, or folders of .pem files (README, "Provenance").
SLID_C2PA_TRUST_ANCHORS = env_list("SLID_C2PA_TRUST_ANCHORS", [])
SLID_NEAR_DUPLICATE_MAX_DISTANCE = env_int("SLID_NEAR_DUPLICATE_MAX_DISTANCE", 10)
# A worker's claim on an item is a lease it renews while it works; a dead worker's runs out this fast.
SLID_LEASE_SECONDS = env_int("SLID_LEASE_SECONDS", 60)
# A failed attempt is tried again after this many seconds, doubling each time, up to this many retries.
SLID_RETRY_BASE_SECONDS = env_int("SLID_RETRY_BASE_SECONDS", 30)
SLID_PROCESSING_MAX_RETRIES = env_int("SLID_PROCESSING_MAX_RETRIES", 5)
# Every worker runs the outbox relay (workers.outbox): it sends waiting tasks this often, and sweeps
# for items whose lease ran out, or that are still "received" this long after upload (a lost message).
SLID_OUTBOX_INTERVAL_SECONDS = env_int("SLID_OUTBOX_INTERVAL_SECONDS", 2)
SLID_SWEEP_INTERVAL_SECONDS = env_int("SLID_SWEEP_INTERVAL_SECONDS", 15)
SLID_RECEIVED_STALE_SECONDS = env_int("SLID_RECEIVED_STALE_SECONDS", 300)
# Every archived object is re-hashed at least every SLID_FIXITY_DAYS days, spread over the runs.
SLID_FIXITY_DAYS = env_int("SLID_FIXITY_DAYS", 30)
SLID_FIXITY_RUN_MINUTES = env_int("SLID_FIXITY_RUN_MINUTES", 60)
# S3 Object Lock (compliance mode) retention of archived objects.
SLID_ARCHIVE_RETENTION_DAYS = env_int("SLID_ARCHIVE_RETENTION_DAYS", 3650)

# RFC 3161 trusted timestamps of every archived file (evidence.timestamping): the Time Stamping Authorities
# asked, in order (none: items say they are not timestamped), and the PEM files of the certificates their
# tokens must chain to. A TSA that fails is asked again after SLID_TSA_RETRY_BASE_SECONDS, doubling each
# time up to SLID_TSA_RETRY_MAX_SECONDS; the sweep sends at most SLID_TSA_SWEEP_BATCH items a run.
SLID_TSA_URLS = env_list("SLID_TSA_URLS", [])
SLID_TSA_ROOTS = env_list("SLID_TSA_ROOTS", [])
SLID_TSA_TIMEOUT_SECONDS = env_int("SLID_TSA_TIMEOUT_SECONDS", 10)  # one TSA's whole time to answer
# Tokens of different TSAs asked for each digest (at most one per URL): a TSA can vanish in the years a case takes.
SLID_TSA_TOKENS_WANTED = max(1, env_int("SLID_TSA_TOKENS_WANTED", 2))
SLID_TSA_RETRY_BASE_SECONDS = env_int("SLID_TSA_RETRY_BASE_SECONDS", 60)
SLID_TSA_RETRY_MAX_SECONDS = env_int("SLID_TSA_RETRY_MAX_SECONDS", 6 * 3600)
SLID_TSA_SWEEP_MINUTES = env_int("SLID_TSA_SWEEP_MINUTES", 10)
SLID_TSA_SWEEP_BATCH = env_int("SLID_TSA_SWEEP_BATCH", 1000)

# Every chain's head goes into a checkpoint (a Merkle root, timestamped, evidence.services.checkpoints) this often.
SLID_CHECKPOINT_MINUTES = max(1, env_int("SLID_CHECKPOINT_MINUTES", 60))
# A checkpoint the authorities did not stamp when it was built is asked for again by a sweep (every
# SLID_TSA_SWEEP_MINUTES) for this many hours, then left: verify_custody reports a token stating a time later
# than that after its checkpoint, and a checkpoint that wanted one and has none.
SLID_CHECKPOINT_STAMP_HOURS = max(1, env_int("SLID_CHECKPOINT_STAMP_HOURS", 24))

# Copying archived files to the replicas (and repairing copies): a try that fails is made again after
# SLID_REPLICATION_RETRY_BASE_SECONDS, doubling each time up to SLID_REPLICATION_RETRY_MAX_SECONDS; the sweep
# (every SLID_REPLICATION_SWEEP_MINUTES) back-fills a replica added later and sends what is due, at most
# SLID_REPLICATION_SWEEP_BATCH items a run.
SLID_REPLICATION_RETRY_BASE_SECONDS = env_int("SLID_REPLICATION_RETRY_BASE_SECONDS", 60)
SLID_REPLICATION_RETRY_MAX_SECONDS = env_int("SLID_REPLICATION_RETRY_MAX_SECONDS", 6 * 3600)
SLID_REPLICATION_SWEEP_MINUTES = env_int("SLID_REPLICATION_SWEEP_MINUTES", 10)
SLID_REPLICATION_SWEEP_BATCH = env_int("SLID_REPLICATION_SWEEP_BATCH", 1000)

CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-evidence": {"task": "workers.tasks.sweep_stuck_evidence", "schedule": 300.0},
    "fixity-check": {"task": "workers.tasks.fixity_check", "schedule": SLID_FIXITY_RUN_MINUTES * 60.0},
    "remove-intake-orphans": {"task": "workers.tasks.remove_intake_orphans", "schedule": 3600.0},
    "timestamp-sweep": {"task": "workers.tasks.sweep_timestamps", "schedule": SLID_TSA_SWEEP_MINUTES * 60.0},
    "build-checkpoint": {"task": "workers.tasks.build_checkpoint", "schedule": SLID_CHECKPOINT_MINUTES * 60.0},
    "copies-sweep": {"task": "workers.tasks.sweep_copies", "schedule": SLID_REPLICATION_SWEEP_MINUTES * 60.0},
    "checkpoint-stamp-sweep": {"task": "workers.tasks.stamp_checkpoints", "schedule": SLID_TSA_SWEEP_MINUTES * 60.0},
}
# Named in every package's bag-info.txt as its Source-Organization.
SLID_SOURCE_ORGANIZATION = env_str("SLID_SOURCE_ORGANIZATION", "Slid war-crimes documentation")
# Whom a registry or a defence team writes to about a package: bag-info.txt's Contact-Name and Contact-Email
# (RFC 8493 §2.2.2), each left out while empty.
SLID_CONTACT_NAME = env_str("SLID_CONTACT_NAME")
SLID_CONTACT_EMAIL = env_str("SLID_CONTACT_EMAIL")

# Database backups (evidence.backups; README, "Backups and the restore drill"): the key they are encrypted
# with at rest (32 random bytes in base64; empty: not encrypted), and the folder of the PostgreSQL client
# programs of the server's major version (pg_dump, pg_restore, psql; else they are looked for on PATH).
SLID_BACKUP_KEY = env_str("SLID_BACKUP_KEY")
SLID_PG_BIN_DIR = env_str("SLID_PG_BIN_DIR", "/usr/lib/postgresql/15/bin")

# Keys of witness and victim identities (evidence/identity_crypto.py): "id:base64,id:base64". The
# development key below is public; production refuses it.
DEVELOPMENT_IDENTITY_KEY = "dev:ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcmVhbC11c2U="
SLID_IDENTITY_KEYS = env_list("SLID_IDENTITY_KEYS", [DEVELOPMENT_IDENTITY_KEY])
SLID_IDENTITY_KEY_ID = env_str("SLID_IDENTITY_KEY_ID", SLID_IDENTITY_KEYS[0].partition(":")[0])
