"""manage.py fixity_check: a fixity pass on demand."""

import io
import os
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from evidence.models import CustodyEntry, Role
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_archived(case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    return [archived_item(case_a, user, f"archived file {n} ".encode() * 200, name=f"{n}.txt") for n in range(3)]


def damage(item) -> None:
    path = Path(storages["archive"].path(item.archive_key))
    os.chmod(path, 0o644)
    path.write_bytes(b"overwritten")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("fixity_check", *args, stdout=out)
    return out.getvalue()


def checked_erns() -> list[str]:
    checks = CustodyEntry.objects.filter(event_type="fixity_check").order_by("pk")
    return list(checks.values_list("evidence__ern", flat=True))


def test_all_checks_every_archived_item_and_reports_none_failed(three_archived):
    output = run("--all")

    assert output == "Checked 3 archived copies: all held.\n"
    assert checked_erns() == [item.ern for item in three_archived]


def test_a_failed_check_is_named_and_the_command_fails(three_archived):
    damage(three_archived[1])

    with pytest.raises(CommandError, match=rf"1 of 3 archived copies failed: {three_archived[1].ern}"):
        run("--all")

    assert checked_erns() == [item.ern for item in three_archived]


def test_limit_checks_the_items_checked_longest_ago(three_archived):
    run("--limit", "2")
    output = run("--limit", "2")

    assert output == "Checked 2 archived copies: all held.\n"
    erns = [item.ern for item in three_archived]
    assert checked_erns() == [erns[0], erns[1], erns[2], erns[0]]


def test_ern_checks_only_that_item(three_archived):
    damage(three_archived[0])

    output = run("--ern", three_archived[2].ern)

    assert output == "Checked 1 archived copy: all held.\n"
    assert checked_erns() == [three_archived[2].ern]


def test_an_unknown_ern_is_refused_by_name(three_archived):
    with pytest.raises(CommandError, match="No archived item with ERN UA-2022-BUCHA-999999"):
        run("--ern", "UA-2022-BUCHA-999999")

    assert checked_erns() == []


def test_limit_and_all_cannot_be_combined(three_archived):
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("--all", "--limit", "1")
