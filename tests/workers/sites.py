"""Slid across sites, for tests/faults/test_several_hosts.py and bench/hosts.py: two S3-compatible services
(moto servers) stand in for two sites, site A holding the intake store and the primary archive, site B the
archive's replica; a worker host is configured by its environment alone, as README "Running Slid across
sites" says, with folders of its own and every evidence store on S3, so that no two hosts share a disk."""

import hashlib
from pathlib import Path

from tests.workers.replicas import S3_CREDENTIALS, MotoServer

INTAKE_BUCKET = "slid-intake"
ARCHIVE_BUCKET = "slid-archive"
REPLICA = "site-b"
REPLICA_STORE = f"archive-replica-{REPLICA}"
REPLICA_BUCKET = f"slid-replica-{REPLICA}"


class Sites:
    """Site A (intake and primary archive) and site B (the replica), each its own S3 server."""

    def __init__(self) -> None:
        self.a = MotoServer()
        self.b = MotoServer()

    def start(self) -> "Sites":
        self.a.start()
        self.b.start()
        self.a.client().create_bucket(Bucket=INTAKE_BUCKET)
        self.a.bucket(ARCHIVE_BUCKET)  # with Object Lock, as the write-once stores need
        self.b.bucket(REPLICA_BUCKET)
        return self

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()

    def environment(self) -> dict[str, str]:
        """The stores' settings every host is given (web and workers alike): SLID_* as in production."""
        replica = f"SLID_REPLICA_{REPLICA.upper().replace('-', '_')}_"
        return {
            "SLID_INTAKE_STORAGE": "s3",
            "SLID_ARCHIVE_STORAGE": "s3",
            "SLID_S3_ENDPOINT_URL": self.a.url,
            "SLID_S3_REGION": S3_CREDENTIALS["REGION"],
            "SLID_S3_ACCESS_KEY_ID": S3_CREDENTIALS["ACCESS_KEY_ID"],
            "SLID_S3_SECRET_ACCESS_KEY": S3_CREDENTIALS["SECRET_ACCESS_KEY"],
            "SLID_S3_INTAKE_BUCKET": INTAKE_BUCKET,
            "SLID_S3_ARCHIVE_BUCKET": ARCHIVE_BUCKET,
            "SLID_ARCHIVE_REPLICAS": REPLICA,
            f"{replica}BACKEND": "s3",
            f"{replica}BUCKET": REPLICA_BUCKET,
            f"{replica}ENDPOINT_URL": self.b.url,
            **{f"{replica}{key}": value for key, value in S3_CREDENTIALS.items()},
        }

    def storages(self) -> dict[str, dict]:
        """The same stores as Django STORAGES entries, for a process whose settings are already loaded."""

        def s3(backend: str, server: MotoServer, bucket: str) -> dict:
            return {
                "BACKEND": backend,
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": server.url,
                    "region_name": S3_CREDENTIALS["REGION"],
                    "access_key": S3_CREDENTIALS["ACCESS_KEY_ID"],
                    "secret_key": S3_CREDENTIALS["SECRET_ACCESS_KEY"],
                    "file_overwrite": False,
                    "default_acl": None,
                    "querystring_auth": True,
                },
            }

        return {
            "intake": s3("storages.backends.s3.S3Storage", self.a, INTAKE_BUCKET),
            "archive": s3("workers.archive.ObjectLockS3Storage", self.a, ARCHIVE_BUCKET),
            REPLICA_STORE: s3("workers.archive.ObjectLockS3Storage", self.b, REPLICA_BUCKET),
        }


def host_environment(folder: Path, sites: Sites, *, queue: str) -> dict[str, str]:
    """What a host is given besides the database and the broker: production settings, the queue every host
    takes tasks from and sends them to, folders of its own (only temporary copies are ever written there)
    and the sites' stores."""
    for name in ("files", "tmp"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "SLID_CELERY_QUEUE": queue,
        "SLID_VAR_DIR": str(folder),
        "SLID_FILES_ROOT": str(folder / "files"),
        "TMPDIR": str(folder / "tmp"),
        **sites.environment(),
    }


def objects_by_sha256(server: MotoServer, bucket: str) -> dict[str, str]:
    """Every object in the bucket (current versions), key: the SHA-256 of its bytes, taken here with hashlib."""
    client = server.client()
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=entry["Key"])["Body"]
            digest = hashlib.sha256()
            while block := body.read(1024 * 1024):
                digest.update(block)
            found[entry["Key"]] = digest.hexdigest()
    return found


def files_left(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []
