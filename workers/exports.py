"""Building a court package: the structure and its layout into the exports store; the evidence
itself stays in the archive."""

import tempfile

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from evidence.agents import Agent
from evidence.package import writer as packaging
from evidence.package.contents import ExportContents, export_contents
from evidence.services.packages import export_claim, export_mark_failed, export_mark_ready, export_set_progress


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
