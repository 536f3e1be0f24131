"""Replica stores for tests: local folders and S3 buckets with Object Lock on a local moto server, configured
through the same environment variables as in production (config.settings.base.replica_store), for this
process and for the workers a test starts."""

import subprocess
import sys

import boto3

from tests.ports import free_port, wait_for_port

S3_CREDENTIALS = {"ACCESS_KEY_ID": "test", "SECRET_ACCESS_KEY": "test", "REGION": "us-east-1"}


class MotoServer:
    """moto in server mode on a port of its own, which a test may stop (an outage) and start again on the
    same port (its buckets are then gone: ``bucket`` makes one again)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "MotoServer":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, name="moto server", timeout=30)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.url, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )

    def bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)


def local_replica(root) -> dict[str, str]:
    return {"BACKEND": "local", "ROOT": str(root)}


def s3_replica(server: MotoServer, bucket: str) -> dict[str, str]:
    return {"BACKEND": "s3", "BUCKET": bucket, "ENDPOINT_URL": server.url, **S3_CREDENTIALS}


def configure_replicas(settings, monkeypatch, replicas: dict[str, dict[str, str]]) -> dict[str, str]:
    """Configures ``replicas`` (name: SLID_REPLICA_<NAME>_* values) in this process, as the settings would read
    them from the environment; returns that environment, for a worker."""
    # Imported here: importing the settings module reads the environment, which bench/hosts.py sets later.
    from config.settings.base import replica_storages

    environment = {"SLID_ARCHIVE_REPLICAS": ",".join(replicas)}
    for name, values in replicas.items():
        prefix = f"SLID_REPLICA_{name.upper().replace('-', '_')}_"
        environment.update({f"{prefix}{key}": value for key, value in values.items()})
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings.SLID_ARCHIVE_REPLICAS = list(replicas)
    settings.STORAGES = {**settings.STORAGES, **replica_storages(list(replicas))}
    settings.SLID_ARCHIVE_MIN_COPIES = 1 + len(replicas)
    return environment
