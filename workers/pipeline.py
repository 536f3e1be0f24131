"""One evidence item's way from intake to archive. Each step's result is recorded by an evidence
service (with its custody entry) before the next starts, so a worker that dies anywhere leaves an
item that another run takes up again and brings to one correct end."""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from evidence import hashing
from evidence.agents import Agent
from evidence.models import EvidenceItem, EvidenceStatus
from evidence.package import writer as packaging
from evidence.package.contents import ExportContents, export_contents
from evidence.selectors.items import evidence_fixity_due
from evidence.services.fixity import evidence_record_fixity
from evidence.services.packages import export_claim, export_mark_failed, export_mark_ready, export_set_progress
from evidence.services.processing import (
    evidence_claim,
    evidence_finish_intake,
    evidence_record_archived,
    evidence_record_description,
    evidence_record_hashes,
    evidence_record_identification,
    evidence_release_claim,
)
from workers import archive, describe, identify, perceptual


def worker_agent(worker_name: str) -> Agent:
    return Agent.for_worker(worker_name, {**describe.tool_versions(), "libmagic": identify.libmagic_version()})


@contextlib.contextmanager
def local_path(storage, key: str) -> Iterator[str]:
    """A path on this machine for a stored file: the file itself on a local store, else a temporary copy."""
    try:
        yield storage.path(key)
    except NotImplementedError:
        with storage.open(key, "rb") as source, tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as copy:
            shutil.copyfileobj(source, copy, length=hashing.CHUNK_BYTES)
            copy.flush()
            yield copy.name


def process(item_id: int, *, agent: Agent) -> str:
    """Processes the item if this worker can claim it; returns the item's resulting status."""
    claim = evidence_claim(item_id=item_id)
    if claim is None:
        return "not claimed"
    item, token = claim
    try:
        return _process_claimed(item, token, agent)
    except BaseException:
        evidence_release_claim(item_id=item_id, token=token)
        raise


def _process_claimed(item: EvidenceItem, token, agent: Agent) -> str:
    with local_path(storages["intake"], item.intake_key) as path:
        digests = hashing.digest_file(path, ["sha256", *settings.SLID_DIGESTS])
        item = evidence_record_hashes(item=item, agent=agent, size=digests.size, hexdigests=digests.hexdigests)
        if item.status == EvidenceStatus.DUPLICATE:
            evidence_finish_intake(item=item)
            return item.status

        found = identify.identify_file(path, item.original_filename)
        evidence_record_identification(
            item=item,
            agent=agent,
            media_type=found.media_type,
            expected=found.expected_from_name,
            mismatch=found.mismatch,
            description=found.description,
        )
        description = describe.describe_file(path, found.media_type, timeout=settings.SLID_TOOL_TIMEOUT_SECONDS)
        phash = perceptual.image_phash(path) if found.media_type.startswith("image/") else None
        evidence_record_description(
            item=item,
            agent=agent,
            metadata=description.metadata,
            errors=description.errors,
            gps=description.gps,
            perceptual_hash=phash,
        )

        key, stored_now = _store_in_archive(path, item.sha256)
        verified = _hash_archived(key)
        if not evidence_record_archived(
            item=item, agent=agent, token=token, archive_key=key, verified_sha256=verified, stored_now=stored_now
        ):
            return "claimed by another worker"
    evidence_finish_intake(item=item)
    item.refresh_from_db(fields=["status"])
    return item.status


def _store_in_archive(path: str, sha256: str) -> tuple[str, bool]:
    store, key = storages["archive"], archive.archive_key(sha256)
    try:
        with open(path, "rb") as source:
            store.save(key, File(source, name=key))
    except archive.AlreadyArchived:
        return key, False  # the same bytes (same SHA-256) are there already; read back below
    return key, True


def _hash_archived(key: str) -> str:
    with storages["archive"].open(key, "rb") as stored:
        return hashing.digest_stream(stored, ["sha256"]).hexdigests["sha256"]


def _write_package(contents: ExportContents, folder: str, progress) -> tuple[str, packaging.PackageLayout]:
    """Writes the package's structure and its layout into the exports store (the evidence itself
    stays in the archive); returns the layout's key and the layout."""
    store = storages["exports"]
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as structure:
        with packaging.PackageWriter(structure) as writer:
            packaging.write_bag(contents, writer, progress=progress)
        structure.seek(0)
        structure_key = store.save(f"{folder}/structure.bin", File(structure))
    layout = writer.layout(structure_key)
    return store.save(f"{folder}/layout.json", ContentFile(layout.to_json())), layout


def fixity_check_due(*, agent: Agent, limit: int) -> tuple[int, int]:
    """Re-hashes the archived copies checked longest ago; returns (checked, failed)."""
    checked = failed = 0
    for item in evidence_fixity_due(limit=limit):
        try:
            sha256, error = _hash_archived(item.archive_key), ""
        except OSError as problem:
            sha256, error = None, f"The archived copy could not be read: {problem}"
        checked += 1
        if not evidence_record_fixity(item=item, agent=agent, sha256=sha256, error=error):
            failed += 1
    return checked, failed


def build_export(export_id: int, *, agent: Agent) -> str:
    """Builds the package: each evidence file is read from the archive and checked against its
    recorded SHA-256 on the way; a mismatch stops the export, and nothing bad is ever shipped."""
    export = export_claim(export_id=export_id)
    if export is None:
        return "not claimed"
    try:
        contents = export_contents(export)
        reported = {"percent": -1}

        def progress(done: int, total: int) -> None:
            percent = done * 100 // max(total, 1)
            if percent > reported["percent"]:
                reported["percent"] = percent
                export_set_progress(export_id=export_id, percent=percent)

        key, layout = _write_package(contents, f"{export.case.public_id}/{contents.bag_name}", progress)
        export_mark_ready(
            export=export, agent=agent, items=contents.items, package_key=key, sha256=layout.sha256, size=layout.size
        )
        return "ready"
    except packaging.DigestMismatch as mismatch:
        export_mark_failed(export_id=export_id, reason=str(mismatch), agent=agent, damaged_ern=mismatch.label)
        return "failed"
    except Exception as error:
        export_mark_failed(export_id=export_id, reason=f"{type(error).__name__}: {error}", agent=agent)
        raise
