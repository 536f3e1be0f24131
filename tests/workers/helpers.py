from django.core.files.base import ContentFile

from evidence.services.intake import evidence_receive
from workers import common, processing


def archived_item(case, user, content: bytes, name: str = "file.bin", **fields):
    """An item received and processed in this process (no broker), as the worker would."""
    item = evidence_receive(
        actor=user, case=case, upload=ContentFile(content, name=name), original_filename=name, **fields
    )
    processing.process(item.pk, agent=common.worker_agent("test"))
    item.refresh_from_db()
    return item
