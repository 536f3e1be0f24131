"""The case's audit log in the workspace: for its leads, filterable, paginated, its address holding the
filters, and each entry's details readable (before and after)."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from evidence.models import AuditEntry, Role
from evidence.services.cases import case_member_add
from evidence.services.record import person_create, person_update
from tests.factories import UserFactory
from tests.web.helpers import main_of, signed_in

pytestmark = pytest.mark.django_db

AUDIT = "/cases/UA-2022-BUCHA/audit/"


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


def entry(case, actor, action: str, at: datetime, target: str = "", details: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(case=case, actor=actor, action=action, at=at, target=target, details=details or {})


def targets(response) -> list[str]:
    """The entries' targets in the order shown."""
    return re.findall(r'<span class="wrap-anywhere">([^<]*)</span>', response.content.decode())


def test_a_lead_reads_the_log_newest_first_with_changes_before_and_after(lead, case_a):
    person = person_create(actor=lead, case=case_a, full_name="Ivan Petrov", rank="Major")
    person_update(actor=lead, person=person, rank="Lieutenant Colonel")
    colleague = UserFactory(username="olena")
    case_member_add(actor=lead, case=case_a, user=colleague, role=Role.INVESTIGATOR)
    case_member_add(actor=lead, case=case_a, user=colleague, role=Role.LEGAL)

    page = signed_in(lead).get(AUDIT).content.decode()
    html = page[page.index("<tbody>") :]

    assert html.index("Member&#x27;s role changed") < html.index("Member added") < html.index("Person changed")
    assert (
        '<dd><span class="before"><span class="visually-hidden">before: </span>investigator</span> '
        '<span aria-hidden="true">→</span> <span class="after"><span class="visually-hidden">after: </span>legal'
        "</span></dd>"
    ) in html
    assert "<dt>rank</dt>" in html and ">Major</span>" in html and ">Lieutenant Colonel</span>" in html
    assert "4 entries" in page


def test_the_filters_narrow_the_log_and_the_address_keeps_them(lead, case_a):
    kyiv_evening = datetime(2022, 3, 5, 21, 30, tzinfo=UTC)  # 5 March, 23:30 in Kyiv
    analyst = UserFactory(username="analyst")
    entry(case_a, lead, "evidence.download", datetime(2022, 3, 3, 12, tzinfo=UTC), target="UA-2022-BUCHA-000001")
    entry(case_a, analyst, "evidence.download", kyiv_evening, target="UA-2022-BUCHA-000002")
    entry(case_a, analyst, "evidence.download", datetime(2022, 3, 5, 22, 30, tzinfo=UTC), target="UA-2022-BUCHA-000003")
    entry(case_a, analyst, "export.download", kyiv_evening, target="8d0c1f4e")
    client = signed_in(lead)

    by_action = client.get(AUDIT, {"action": "evidence.download"})
    by_actor = client.get(AUDIT, {"actor": "ANALYST", "action": "evidence.download"})
    by_day = client.get(AUDIT, {"after": "2022-03-05", "before": "2022-03-05"})
    by_target = client.get(AUDIT, {"target": "000002"})

    assert targets(by_action) == ["UA-2022-BUCHA-000003", "UA-2022-BUCHA-000002", "UA-2022-BUCHA-000001"]
    assert targets(by_actor) == ["UA-2022-BUCHA-000003", "UA-2022-BUCHA-000002"]
    # 5 March in Kyiv runs from 4 March 22:00 to 5 March 22:00 UTC: the entry at 22:30 UTC is on the 6th there.
    assert targets(by_day) == ["8d0c1f4e", "UA-2022-BUCHA-000002"]
    assert targets(by_target) == ["UA-2022-BUCHA-000002"]
    assert 'value="evidence.download" selected' in by_actor.content.decode()
    assert 'value="ANALYST"' in by_actor.content.decode()


def test_the_log_comes_a_page_at_a_time_and_the_pages_keep_the_filters(lead, case_a):
    for number in range(55):
        entry(case_a, lead, "evidence.download", datetime(2022, 3, 1, tzinfo=UTC), target=f"item-{number:03d}")
    client = signed_in(lead)

    first = client.get(AUDIT, {"action": "evidence.download"})
    second = client.get(AUDIT, {"action": "evidence.download", "page": "2"})

    assert len(targets(first)) == 50 and len(targets(second)) == 5
    assert 'href="?action=evidence.download&amp;page=2"' in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    assert client.get(AUDIT, {"page": "many"}).status_code == 200


def test_htmx_gets_the_entries_only(lead, case_a):
    entry(case_a, lead, "case.update", datetime(2022, 3, 1, tzinfo=UTC), target="UA-2022-BUCHA")

    part = signed_in(lead).get(AUDIT, {"action": "case.update"}, headers={"HX-Request": "true"})

    assert part.content.decode().lstrip().startswith('<div id="audit-entries"')


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "2022-03-05", "before": "2022-03-04"}, "The last day is before the first."),
        ({"after": "0001-01-01"}, "Give a day between 0001-01-02 and 9999-12-30."),
        ({"after": "not a day"}, "Enter a valid date."),
        ({"action": "evidence.delete"}, "Select a valid choice."),
        ({"actor": "x" * 151}, "Ensure this value has at most 150 characters"),
        ({"target": "a\x00b"}, "Null characters are not allowed."),
    ],
)
def test_bad_filters_are_refused_with_the_reason(lead, params, field):
    response = signed_in(lead).get(AUDIT, params)
    part = signed_in(lead).get(AUDIT, params, headers={"HX-Request": "true"})

    assert response.status_code == 400 and field in response.content.decode()
    assert part.status_code == 200 and field in part.content.decode()  # htmx shows only what it may swap in


@pytest.mark.parametrize("query", ["%", "_", "' OR 1=1 --", "Буча", "x" * 200])
def test_hostile_target_searches_are_answered(lead, case_a, query):
    entry(case_a, lead, "case.update", datetime(2022, 3, 1, tzinfo=UTC), target="UA-2022-BUCHA")

    response = signed_in(lead).get(AUDIT, {"target": query})

    assert response.status_code == 200 and targets(response) == []


def test_the_log_shows_only_its_case(lead, case_a, case_b):
    entry(case_b, lead, "case.update", datetime(2022, 3, 1, tzinfo=UTC), target="UA-2022-IZIUM")
    entry(None, lead, "auth.login", datetime(2022, 3, 1, tzinfo=UTC), target="prosecutor")
    entry(case_a, lead, "case.update", datetime(2022, 3, 1, tzinfo=UTC), target="the case itself")

    assert targets(signed_in(lead).get(AUDIT)) == ["the case itself"]


@pytest.mark.parametrize(("role", "status"), [(Role.INVESTIGATOR, 403), (Role.ANALYST, 403), (Role.LEGAL, 403)])
def test_only_leads_read_the_log(case_a, member_of, role, status):
    assert signed_in(member_of(case_a, role)).get(AUDIT).status_code == status


def test_the_lead_of_another_case_is_told_no_such_case(case_b, member_of):
    assert signed_in(member_of(case_b, Role.LEAD)).get(AUDIT).status_code == 404


def test_the_audit_log_is_in_ukrainian(lead, case_a):
    from tests.web.test_i18n import english_words

    person = person_create(actor=lead, case=case_a, full_name="Іван Петров", rank="майор")
    person_update(actor=lead, person=person, rank="підполковник")
    client = Client(headers={"Accept-Language": "uk"})
    client.force_login(lead)
    names = {
        "prosecutor",
        "person",
        "create",
        "update",
        "rank",
        "ERN",
    }  # the actions' and fields' own names, as recorded

    for params in ({}, {"action": "person.update"}, {"after": "2022-03-05", "before": "2022-03-04"}):
        html = main_of(client.get(AUDIT, params).content.decode())
        # The actions' labels are the audit log's vocabulary (evidence.models.AuditAction), each added with its own.
        html = re.sub(r'<select name="action".*?</select>', "", html, flags=re.DOTALL)
        assert english_words(html, names) == set(), params
