"""The archive on S3 with Object Lock, against a local S3-compatible server (moto in server mode)."""

import subprocess
import sys
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from evidence.package.layout import read_range
from tests.ports import free_port, wait_for_port
from workers.archive import AlreadyArchived, archive_key

BUCKET = "slid-archive"


@pytest.fixture
def s3_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process, name="moto server", timeout=30)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_archive(s3_server, settings):
    client = boto3.client(
        "s3", endpoint_url=s3_server, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "archive": {
            "BACKEND": "workers.archive.ObjectLockS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    settings.SLID_ARCHIVE_RETENTION_DAYS = 30
    return client


def test_an_archived_object_is_locked_in_compliance_mode_and_cannot_be_deleted(s3_archive):
    key = archive_key("ab" * 32)

    storages["archive"].save(key, ContentFile(b"original bytes"))

    # (moto answers 500 to GetObjectRetention; HEAD carries the same lock.)
    head = s3_archive.head_object(Bucket=BUCKET, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert timezone.now() + timedelta(days=29) < head["ObjectLockRetainUntilDate"] < timezone.now() + timedelta(days=31)
    with pytest.raises(ClientError, match="AccessDenied"):
        s3_archive.delete_object(Bucket=BUCKET, Key=key, VersionId=head["VersionId"])
    assert s3_archive.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"original bytes"


def test_the_s3_archive_never_overwrites_or_deletes(s3_archive):
    key = archive_key("cd" * 32)
    storages["archive"].save(key, ContentFile(b"first"))

    with pytest.raises(AlreadyArchived):
        storages["archive"].save(key, ContentFile(b"second"))
    with pytest.raises(PermissionError):
        storages["archive"].delete(key)
    assert storages["archive"].open(key).read() == b"first"


def test_a_range_of_an_archived_object_is_read_with_a_ranged_get(s3_archive):
    key = archive_key("cd" * 32)
    content = bytes(range(256)) * 40
    storages["archive"].save(key, ContentFile(content))

    assert b"".join(read_range(storages["archive"], key, 1000, 5000)) == content[1000:6000]
    assert b"".join(read_range(storages["archive"], key, 0, len(content))) == content
    with pytest.raises(OSError, match="ended after"):
        b"".join(read_range(storages["archive"], key, 10_000, 500))
