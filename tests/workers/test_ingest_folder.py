import pytest
from django.core.management import CommandError, call_command

from evidence.models import EvidenceItem, Role
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_a_folder_tree_is_received_and_a_second_run_skips_what_is_there(tmp_path, case_a, member_of):
    member_of(case_a, Role.INVESTIGATOR, username="field")
    incident = make_incident(case_a)
    (tmp_path / "day1").mkdir()
    (tmp_path / "day1" / "a.jpg").write_bytes(b"photo a")
    (tmp_path / "day1" / "b.jpg").write_bytes(b"photo b")
    (tmp_path / "c.mp4").write_bytes(b"video c")

    call_command(
        "ingest_folder", str(tmp_path), case=case_a.reference, user="field", incident=[incident.pk], verbosity=0
    )
    (tmp_path / "d.wav").write_bytes(b"audio d")
    call_command("ingest_folder", str(tmp_path), case=case_a.reference, user="field", verbosity=0)

    items = EvidenceItem.objects.order_by("original_filename")
    assert [item.original_filename for item in items] == ["c.mp4", "d.wav", "day1/a.jpg", "day1/b.jpg"]
    assert all(len(item.submitted_sha256) == 64 for item in items)
    assert list(items.get(original_filename="c.mp4").incidents.all()) == [incident]


def test_an_unknown_case_or_user_is_refused(tmp_path, case_a):
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("ingest_folder", str(tmp_path), case=case_a.reference, user="nobody", verbosity=0)
