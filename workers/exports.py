"""Building a court package: the structure and its layout into the exports store; the evidence
itself stays in the archive."""

import logging
import tempfile
import time
import uuid

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from evidence.agents import Agent
from evidence.package import writer as packaging
from evidence.package.contents import ExportContents, export_contents
from evidence.services.packages import (
    SealedIdentities,
    export_claim,
    export_mark_failed,
    export_mark_ready,
    export_record_damaged_original,
    export_renew_lease,
    export_set_progress,
)
from evidence.services.processing import ClaimLost

logger = logging.getLogger(__name__)


class Lease:
    """Keeps this builder's claim alive: renewed whenever progress is reported, and at least three
    times per lease while the builder works between reports."""

    def __init__(self, export_id: int, token: uuid.UUID) -> None:
        self.export_id, self.token = export_id, token
        self.renewed_at = time.monotonic()
        self.percent = -1

    def _due(self) -> bool:
        return time.monotonic() - self.renewed_at >= settings.SLID_LEASE_SECONDS / 3

    def _renewed(self, held: bool) -> None:
        if not held:
            raise ClaimLost(f"Export {self.export_id} was taken over by another builder.")
        self.renewed_at = time.monotonic()

    def keep(self) -> None:
        if self._due():
            self._renewed(export_renew_lease(export_id=self.export_id, token=self.token))

    def progress(self, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent > self.percent or self._due():
            self.percent = max(percent, self.percent)
            self._renewed(export_set_progress(export_id=self.export_id, token=self.token, percent=percent))


def _write_package(contents: ExportContents, folder: str, lease: Lease) -> tuple[str, packaging.PackageLayout, bytes]:
    """Writes the package's structure and its layout into the exports store (the evidence itself
    stays in the archive); returns the layout's key, the layout and the sealed part's plain bytes
    (identities: held in memory only, and stored sealed by ``export_mark_ready``)."""
    store = storages["exports"]
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as structure:
        with packaging.PackageWriter(structure) as writer:
            packaging.write_bag(contents, writer, progress=lease.progress)
        structure.seek(0)
        lease.keep()
        structure_key = store.save(f"{folder}/structure.bin", File(structure))
    layout = writer.layout(structure_key)
    return store.save(f"{folder}/layout.json", ContentFile(layout.to_json())), layout, bytes(writer.sealed)


def _write_from_good_copies(
    export, contents: ExportContents, folder: str, lease: Lease, agent: Agent
) -> tuple[str, packaging.PackageLayout, bytes]:
    """``_write_package``, again from the start each time an original's copy is found damaged: that copy is
    recorded as failing its fixity check (evidence.services.copies repairs it), so the next try reads another
    good copy of it. Raises DigestMismatch when the same copy is read twice (no other good copy) or when the
    copy read could not be recorded (it changed meanwhile)."""
    damaged: set[tuple[str, str]] = set()
    while True:
        try:
            return _write_package(contents, folder, lease)
        except packaging.DigestMismatch as mismatch:
            copy = (mismatch.store, mismatch.key)
            if mismatch.store is None or copy in damaged:
                raise
            damaged.add(copy)
            archive_key = next(f.archive_key for f in contents.files if f.ern == mismatch.label)
            export_record_damaged_original(
                export=export,
                archive_key=archive_key,
                sha256=mismatch.actual,
                agent=agent,
                store=mismatch.store,
                key=mismatch.key,
                while_doing="built",
            )
            logger.error("Export %s: %s (%s in %s); built again from another copy", export.pk, mismatch, *copy[::-1])


def build_export(export_id: int, *, agent: Agent) -> str:
    """Builds the package: each evidence file is read from a good copy and checked against its recorded
    SHA-256 on the way; a copy that does not match is recorded as damaged and the package is built again from
    the next good copy; with none left the export fails, and nothing bad is ever shipped. Only the builder
    that holds the export's claim proceeds, and only while it holds it."""
    export = export_claim(export_id=export_id)
    if export is None:
        return "not claimed"
    token = export.claim_token
    lease = Lease(export_id, token)
    try:
        contents = export_contents(export, heartbeat=lease.keep)
        folder = f"{export.case.public_id}/{contents.bag_name}"
        key, layout, sealed = _write_from_good_copies(export, contents, folder, lease, agent)
        if not export_mark_ready(
            export=export,
            token=token,
            agent=agent,
            items=contents.items,
            package_key=key,
            sha256=layout.sha256,
            size=layout.size,
            identities=SealedIdentities(sealed, contents.identities) if contents.sealed_documents else None,
        ):
            _discard(key, layout)
            raise ClaimLost(f"Export {export_id} was taken over by another builder before it was ready.")
        return "ready"
    except ClaimLost as lost:
        logger.warning("%s This builder stops; the other one finishes.", lost)
        return "claim lost"
    except packaging.DigestMismatch as mismatch:
        marked = export_mark_failed(
            export_id=export_id, token=token, reason=str(mismatch), agent=agent, damaged_ern=mismatch.label
        )
        return "failed" if marked else "claim lost"
    except Exception as error:
        export_mark_failed(export_id=export_id, token=token, reason=f"{type(error).__name__}: {error}", agent=agent)
        raise


def _discard(layout_key: str, layout: packaging.PackageLayout) -> None:
    """Removes what a builder that lost its claim wrote: the other builder's package is the export's."""
    store = storages["exports"]
    for key in (layout.structure_key, layout_key):
        store.delete(key)
