"""The archive on S3 with Object Lock, against a local S3-compatible server (moto in server mode)."""

import hashlib
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
from workers.archive import AlreadyArchived, archive_key, store_in_archive

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


def test_a_damaged_object_at_the_key_is_kept_as_an_older_version_and_the_right_bytes_put_over_it(s3_archive, tmp_path):
    content = b"testimony recorded in Izium " * 2000
    sha256 = hashlib.sha256(content).hexdigest()
    key = archive_key(sha256)
    damaged = s3_archive.put_object(Bucket=BUCKET, Key=key, Body=content[:100])
    source = tmp_path / "intake-copy.bin"
    source.write_bytes(content)

    stored = store_in_archive(str(source), sha256)

    assert s3_archive.get_object(Bucket=BUCKET, Key=key)["Body"].read() == content
    versions = s3_archive.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]
    assert len(versions) == 2
    kept = s3_archive.get_object(Bucket=BUCKET, Key=key, VersionId=damaged["VersionId"])
    assert kept["Body"].read() == content[:100]
    current = s3_archive.head_object(Bucket=BUCKET, Key=key)
    assert current["ObjectLockMode"] == "COMPLIANCE"
    assert (stored.key, stored.stored_now, stored.replaced_damaged) == (key, True, True)
    assert stored.damaged_kept_as == f"{key}?versionId={damaged['VersionId']}"


def test_an_object_already_at_the_key_with_the_right_bytes_is_already_archived(s3_archive, tmp_path):
    content = b"the same bytes twice"
    sha256 = hashlib.sha256(content).hexdigest()
    source = tmp_path / "intake-copy.bin"
    source.write_bytes(content)
    store_in_archive(str(source), sha256)

    again = store_in_archive(str(source), sha256)

    assert (again.stored_now, again.replaced_damaged) == (False, False)
    versions = s3_archive.list_object_versions(Bucket=BUCKET, Prefix=archive_key(sha256))["Versions"]
    assert len(versions) == 1


def test_a_damaged_object_in_a_bucket_without_versioning_is_never_overwritten(s3_archive, settings, tmp_path):
    s3_archive.create_bucket(Bucket="slid-archive-unversioned")
    settings.STORAGES = {
        **settings.STORAGES,
        "archive": {
            **settings.STORAGES["archive"],
            "OPTIONS": {**settings.STORAGES["archive"]["OPTIONS"], "bucket_name": "slid-archive-unversioned"},
        },
    }
    content = b"the whole testimony"
    sha256 = hashlib.sha256(content).hexdigest()
    s3_archive.put_object(Bucket="slid-archive-unversioned", Key=archive_key(sha256), Body=b"the who")
    source = tmp_path / "intake-copy.bin"
    source.write_bytes(content)

    with pytest.raises(PermissionError, match="has no versioning"):
        store_in_archive(str(source), sha256)

    kept = s3_archive.get_object(Bucket="slid-archive-unversioned", Key=archive_key(sha256))
    assert kept["Body"].read() == b"the who"
