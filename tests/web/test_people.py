"""Suspects and units in the workspace: a search that finds a name in any script, a person's page, and a
unit's chain of command as a tree."""

import importlib
import re

import pytest
from django.apps import apps
from django.test import Client

from evidence.models import Role, Unit
from evidence.services.record import allegation_create, person_create, unit_create
from tests.factories import make_incident
from tests.web.helpers import main_of, signed_in

pytestmark = pytest.mark.django_db

PEOPLE = "/cases/UA-2022-BUCHA/people/"


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


@pytest.fixture
def record(case_a, lead) -> dict:
    """The 58th Army above the 64th brigade (a battalion under it) and another brigade (with its own
    battalion); suspects recorded in Cyrillic and in Latin letters."""
    army = unit_create(actor=lead, case=case_a, name="58-я общевойсковая армия")
    brigade = unit_create(
        actor=lead, case=case_a, name="64-я отдельная мотострелковая бригада", designation="в/ч 51460", parent=army
    )
    battalion = unit_create(actor=lead, case=case_a, name="1-й мотострелковый батальон", parent=brigade)
    other = unit_create(actor=lead, case=case_a, name="37-я отдельная мотострелковая бригада", parent=army)
    other_battalion = unit_create(actor=lead, case=case_a, name="2-й батальон 37-й бригады", parent=other)
    airborne = unit_create(actor=lead, case=case_a, name="76th Guards Air Assault Division (Pskov)")
    commander = person_create(
        actor=lead, case=case_a, full_name="Омурбеков Азатбек Асанбекович", rank="Подполковник", unit=brigade
    )
    sergeant = person_create(actor=lead, case=case_a, full_name="Сидоренко Олексій", unit=battalion)
    latin = person_create(actor=lead, case=case_a, full_name="Sergei Kuzminov", rank="Colonel", unit=airborne)
    return {
        "army": army, "brigade": brigade, "battalion": battalion, "other": other, "other_battalion": other_battalion,
        "airborne": airborne,
        "commander": commander, "sergeant": sergeant, "latin": latin,
    }  # fmt: skip


def names_found(client: Client, query: str) -> tuple[list[str], list[str]]:
    """(the suspects found, the units found), as the search's part of the page shows them."""
    html = client.get(PEOPLE, {"q": query}, headers={"HX-Request": "true"}).content.decode()
    persons = re.findall(r'/people/\d+/"><strong>([^<]+)</strong>', html)
    units = re.findall(r'/units/\d+/"><strong>([^<]+)</strong>', html)
    return persons, units


@pytest.mark.parametrize(
    ("query", "persons", "units"),
    [
        ("Omurbekov", ["Омурбеков Азатбек Асанбекович"], []),  # Latin finds Cyrillic
        ("omurbekov azatbek", ["Омурбеков Азатбек Асанбекович"], []),
        ("Омурбеков", ["Омурбеков Азатбек Асанбекович"], []),
        ("Sydorenko", ["Сидоренко Олексій"], []),  # the Ukrainian и as "y", unidecode's "i": still found
        ("Кузьминов", ["Sergei Kuzminov"], []),  # Cyrillic finds Latin
        (  # and small differences: the battalion is "motostrelkovyi"
            "motostrelkovaya",
            [],
            [
                "1-й мотострелковый батальон",
                "37-я отдельная мотострелковая бригада",
                "64-я отдельная мотострелковая бригада",
            ],
        ),
        ("51460", [], ["64-я отдельная мотострелковая бригада"]),  # the designation, в/ч 51460
        ("Псков", [], ["76th Guards Air Assault Division (Pskov)"]),
        ("Petrov", [], []),
    ],
)
def test_names_are_found_across_scripts(lead, record, query, persons, units):
    found_persons, found_units = names_found(signed_in(lead), query)

    assert found_persons == persons
    assert sorted(found_units) == sorted(units)


def test_without_a_search_every_suspect_and_unit_is_listed_by_name(lead, record):
    persons, units = names_found(signed_in(lead), "")

    assert persons == ["Sergei Kuzminov", "Омурбеков Азатбек Асанбекович", "Сидоренко Олексій"]
    assert len(units) == 6


@pytest.mark.parametrize("query", ["\x00", "%", "_", "' OR 1=1 --", "x" * 10_000, "!!!"])
def test_hostile_searches_are_answered(lead, record, query):
    response = signed_in(lead).get(PEOPLE, {"q": query})

    assert response.status_code == 200


def test_units_recorded_before_the_search_column_get_theirs_from_the_migration(lead, record):
    Unit.objects.filter(pk=record["brigade"].pk).update(search_names="")
    migration = importlib.import_module("evidence.migrations.0019_units_found_across_scripts")

    migration.fill_search_names(apps, None)

    record["brigade"].refresh_from_db()
    assert record["brigade"].search_names == "64 ia otdel naia motostrelkovaia brigada | v ch 51460"


def test_a_person_page_shows_unit_rank_chain_and_allegations(lead, case_a, record):
    incident = make_incident(case_a, title="Killings on Yablunska Street", place_name="Bucha")
    allegation_create(
        actor=lead, case=case_a, incident=incident, person=record["commander"], role="commander",
        confidence="high", basis="Intercepted radio traffic", status="corroborated",
    )  # fmt: skip

    html = signed_in(lead).get(f"{PEOPLE}{record['commander'].pk}/").content.decode()

    assert "<h1>Омурбеков Азатбек Асанбекович</h1>" in html
    assert "<dd>Подполковник</dd>" in html
    assert (
        f'<a href="/cases/UA-2022-BUCHA/units/{record["brigade"].pk}/">64-я отдельная мотострелковая бригада</a>'
        in html
    )
    assert re.search(
        r"64-я отдельная мотострелковая бригада</a> <span aria-hidden=\"true\">‹</span> <a[^>]+>58-я", html
    )
    row = html[html.index("Killings on Yablunska Street") :]
    for shown in ("Commander", "High", "Corroborated", "Intercepted radio traffic"):
        assert shown in row


def test_a_unit_page_shows_the_chain_of_command_as_a_tree(lead, record):
    html = signed_in(lead).get(f"/cases/UA-2022-BUCHA/units/{record['brigade'].pk}/").content.decode()
    tree = html[html.index('role="tree"') : html.index("</ul>\n  </section>")]

    items = re.findall(r'<a role="treeitem" href="/cases/UA-2022-BUCHA/units/(\d+)/"([^>]*)>', tree)
    shown = {int(pk): attributes for pk, attributes in items}
    ids = {name: record[name].pk for name in ("army", "other", "other_battalion", "brigade", "battalion")}
    assert list(shown) == list(ids.values())  # from the top, subordinates by name, depth first
    assert 'aria-current="page"' in shown[ids["brigade"]]
    assert 'aria-expanded="true"' in shown[ids["army"]] and "data-collapsed" not in shown[ids["army"]]
    assert "data-collapsed" in shown[ids["other"]]  # another branch: closed at first
    assert "data-collapsed" not in shown[ids["brigade"]] and "aria-owns" not in shown[ids["battalion"]]
    assert record["airborne"].pk not in shown  # another chain of command
    assert tree.count('role="group"') == 3
    assert "Омурбеков Азатбек Асанбекович" in html  # serving in it


def test_a_person_or_unit_of_another_case_is_not_found(lead, record, case_b):
    case_b.memberships.create(user=lead, role=Role.LEAD)
    client = signed_in(lead)

    assert client.get(f"/cases/{case_b.reference}/people/{record['commander'].pk}/").status_code == 404
    assert client.get(f"/cases/{case_b.reference}/units/{record['brigade'].pk}/").status_code == 404
    assert names_found(client, "Omurbekov") == (["Омурбеков Азатбек Асанбекович"], [])
    other_side = client.get(f"/cases/{case_b.reference}/people/", {"q": "Omurbekov"}, headers={"HX-Request": "true"})
    assert "Омурбеков" not in other_side.content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_every_member_reads_suspects_and_units(case_a, member_of, record, role):
    client = signed_in(member_of(case_a, role, username=f"a-{role}"))

    assert client.get(PEOPLE).status_code == 200
    assert client.get(f"{PEOPLE}{record['latin'].pk}/").status_code == 200
    assert client.get(f"/cases/UA-2022-BUCHA/units/{record['army'].pk}/").status_code == 200


def test_the_pages_of_suspects_and_units_are_in_ukrainian(lead, case_a, record):
    from tests.web.test_i18n import english_words

    client = Client(headers={"Accept-Language": "uk"})
    client.force_login(lead)
    incident = make_incident(case_a, title="Вбивства на вулиці Яблунській")
    allegation_create(actor=lead, case=case_a, incident=incident, person=record["commander"], role="commander")
    names = {
        "Sergei",
        "Kuzminov",
        "Colonel",
        "Guards",
        "Air",
        "Assault",
        "Division",
        "Pskov",
        "Omurbekov",
        "th",
        "Enter",
    }

    for page in (
        client.get(PEOPLE),
        client.get(PEOPLE, {"q": "nobody"}),
        client.get(f"{PEOPLE}{record['commander'].pk}/"),
        client.get(f"/cases/UA-2022-BUCHA/units/{record['brigade'].pk}/"),
    ):
        assert english_words(main_of(page.content.decode()), names | {"nobody"}) == set()


def test_ids_beyond_any_row_are_not_found(lead, record):
    client = signed_in(lead)

    for url in (f"{PEOPLE}{'9' * 25}/", f"/cases/UA-2022-BUCHA/units/{'9' * 25}/", f"{PEOPLE}2147483648/"):
        assert client.get(url).status_code == 404
