"""The elements of crimes and modes of liability in evidence/data/elements.json: complete, cited, numbered
without gaps, with the context where the Elements of Crimes put it, and counted as the Elements count them.
The expected values below were written by hand from the ICC's Elements of Crimes and the Rome Statute."""

import json
import re

import pytest

from evidence.crimes import crimes
from evidence.elements import (
    DATA_FILE,
    Element,
    crime_elements,
    crime_note,
    element_key,
    mode_elements,
    modes,
    parse_element_key,
)

CYRILLIC = re.compile("[а-яіїєґ]", re.IGNORECASE)

# Number of elements of each crime, counted by hand in the Elements of Crimes (2011) and the amendments.
# 8(2)(b)(xx) has none: its elements are to be drafted once an annex lists the weapons concerned.
ELEMENT_COUNTS = {
    "6(a)": 4, "6(b)": 4, "6(c)": 5, "6(d)": 5, "6(e)": 7,
    "7(1)(a)": 3, "7(1)(b)": 4, "7(1)(c)": 3, "7(1)(d)": 5, "7(1)(e)": 5, "7(1)(f)": 5,
    "7(1)(g)-1": 4, "7(1)(g)-2": 4, "7(1)(g)-3": 4, "7(1)(g)-4": 3, "7(1)(g)-5": 4, "7(1)(g)-6": 5,
    "7(1)(h)": 6, "7(1)(i)": 8, "7(1)(j)": 7, "7(1)(k)": 5,
    "8(2)(a)(i)": 5, "8(2)(a)(ii)-1": 6, "8(2)(a)(ii)-2": 5, "8(2)(a)(ii)-3": 7, "8(2)(a)(iii)": 5,
    "8(2)(a)(iv)": 7, "8(2)(a)(v)": 5, "8(2)(a)(vi)": 5, "8(2)(a)(vii)-1": 5, "8(2)(a)(vii)-2": 5,
    "8(2)(a)(viii)": 7,
    "8(2)(b)(i)": 5, "8(2)(b)(ii)": 5, "8(2)(b)(iii)": 7, "8(2)(b)(iv)": 5, "8(2)(b)(v)": 5, "8(2)(b)(vi)": 5,
    "8(2)(b)(vii)-1": 7, "8(2)(b)(vii)-2": 7, "8(2)(b)(vii)-3": 7, "8(2)(b)(vii)-4": 7, "8(2)(b)(viii)": 3,
    "8(2)(b)(ix)": 5, "8(2)(b)(x)-1": 6, "8(2)(b)(x)-2": 6, "8(2)(b)(xi)": 7, "8(2)(b)(xii)": 5,
    "8(2)(b)(xiii)": 7, "8(2)(b)(xiv)": 5, "8(2)(b)(xv)": 4, "8(2)(b)(xvi)": 5, "8(2)(b)(xvii)": 4,
    "8(2)(b)(xviii)": 4, "8(2)(b)(xix)": 5, "8(2)(b)(xx)": 0, "8(2)(b)(xxi)": 4,
    "8(2)(b)(xxii)-1": 4, "8(2)(b)(xxii)-2": 4, "8(2)(b)(xxii)-3": 4, "8(2)(b)(xxii)-4": 3,
    "8(2)(b)(xxii)-5": 4, "8(2)(b)(xxii)-6": 5, "8(2)(b)(xxiii)": 4, "8(2)(b)(xxiv)": 4, "8(2)(b)(xxv)": 4,
    "8(2)(b)(xxvi)": 5, "8(2)(b)(xxvii)": 3, "8(2)(b)(xxviii)": 3, "8(2)(b)(xxix)": 3,
    "8(2)(c)(i)-1": 5, "8(2)(c)(i)-2": 6, "8(2)(c)(i)-3": 5, "8(2)(c)(i)-4": 6, "8(2)(c)(ii)": 6,
    "8(2)(c)(iii)": 7, "8(2)(c)(iv)": 7,
    "8(2)(e)(i)": 5, "8(2)(e)(ii)": 4, "8(2)(e)(iii)": 7, "8(2)(e)(iv)": 5, "8(2)(e)(v)": 5,
    "8(2)(e)(vi)-1": 4, "8(2)(e)(vi)-2": 4, "8(2)(e)(vi)-3": 4, "8(2)(e)(vi)-4": 3, "8(2)(e)(vi)-5": 4,
    "8(2)(e)(vi)-6": 5, "8(2)(e)(vii)": 5, "8(2)(e)(viii)": 5, "8(2)(e)(ix)": 7, "8(2)(e)(x)": 5,
    "8(2)(e)(xi)-1": 6, "8(2)(e)(xi)-2": 6, "8(2)(e)(xii)": 7, "8(2)(e)(xiii)": 4, "8(2)(e)(xiv)": 4,
    "8(2)(e)(xv)": 5, "8(2)(e)(xvi)": 3, "8(2)(e)(xvii)": 3, "8(2)(e)(xviii)": 3, "8(2)(e)(xix)": 4,
}  # fmt: skip

NO_ELEMENTS = {"8(2)(b)(xx)"}

MODE_CODES = [
    "25(3)(a)-direct", "25(3)(a)-co", "25(3)(a)-indirect", "25(3)(a)-indirect-co",
    "25(3)(b)-ordering", "25(3)(b)-soliciting", "25(3)(b)-inducing", "25(3)(c)", "25(3)(d)", "25(3)(e)",
    "25(3)(f)", "28(a)", "28(b)",
]  # fmt: skip


def _crime_codes() -> list[str]:
    return list(crimes())


def test_the_counts_written_here_cover_exactly_the_crimes_of_crimes_json():
    assert set(ELEMENT_COUNTS) == set(crimes())
    assert len(ELEMENT_COUNTS) == 102


@pytest.mark.parametrize("code", _crime_codes())
def test_every_crime_has_as_many_elements_as_the_elements_of_crimes(code):
    assert len(crime_elements(code)) == ELEMENT_COUNTS[code]


def test_every_crime_but_the_one_awaiting_its_annex_has_elements():
    empty = {code for code in crimes() if not crime_elements(code)}

    assert empty == NO_ELEMENTS
    assert "annex" in crime_note("8(2)(b)(xx)")


def test_the_data_file_lists_exactly_the_crimes_of_crimes_json():
    assert set(json.loads(DATA_FILE.read_text())["crimes"]) == set(crimes())


@pytest.mark.parametrize("code", _crime_codes())
def test_every_crime_element_is_numbered_from_one_without_gaps(code):
    numbers = [element.number for element in crime_elements(code)]

    assert numbers == list(range(1, ELEMENT_COUNTS[code] + 1))


@pytest.mark.parametrize("code", _crime_codes())
def test_every_crime_element_cites_its_crime_element_and_edition(code):
    crime = crimes()[code]
    for element in crime_elements(code):
        assert f"art. {code}, element {element.number}" in element.citation
        if crime.amended_by:
            assert element.citation.endswith(f"as adopted by {crime.amended_by}")
        else:
            assert element.citation.startswith("ICC Elements of Crimes (2011), ")


def test_citations_are_exactly_as_lawyers_write_them():
    assert crime_elements("8(2)(a)(i)")[0].citation == "ICC Elements of Crimes (2011), art. 8(2)(a)(i), element 1"
    assert crime_elements("8(2)(e)(xiii)")[3].citation == (
        "ICC Elements of Crimes, art. 8(2)(e)(xiii), element 4, as adopted by RC/Res.5 (Kampala, 2010)"
    )
    assert crime_elements("8(2)(e)(xix)")[1].citation == (
        "ICC Elements of Crimes, art. 8(2)(e)(xix), element 2, as adopted by ICC-ASP/18/Res.5 (2019)"
    )


@pytest.mark.parametrize("code", _crime_codes())
def test_every_element_has_a_known_kind_and_summaries_in_english_and_ukrainian(code):
    for element in crime_elements(code):
        assert element.kind in {"material", "contextual", "mental"}
        assert len(element.summary) > 20
        assert not CYRILLIC.search(element.summary)
        assert CYRILLIC.search(element.summary_uk)


def _contextual_block(code: str) -> tuple[int, int]:
    """(number of contextual elements, number of elements after the first contextual one)."""
    kinds = [element.kind for element in crime_elements(code)]
    first = kinds.index("contextual")
    return kinds.count("contextual"), len(kinds) - first


@pytest.mark.parametrize("code", [code for code in _crime_codes() if code not in NO_ELEMENTS])
def test_every_crime_ends_with_one_contextual_block_of_the_size_its_article_has(code):
    """Genocide: the manifest pattern (one element). Crimes against humanity: the attack and the
    perpetrator's knowledge of it (two). War crimes: the armed conflict and awareness of it (two)."""
    expected = 1 if code.startswith("6(") else 2

    count, block = _contextual_block(code)

    assert count == expected
    assert block == expected  # contiguous and last


@pytest.mark.parametrize("code", [code for code in _crime_codes() if code.startswith("8(") and code not in NO_ELEMENTS])
def test_war_crimes_name_the_kind_of_armed_conflict_of_their_paragraph(code):
    context = crime_elements(code)[-2].summary
    aware = crime_elements(code)[-1].summary

    if code.startswith(("8(2)(a)", "8(2)(b)")):
        assert "international armed conflict" in context
        assert "not of an international character" not in context
    else:
        assert "not of an international character" in context
    assert "armed conflict existed" in aware


def test_context_of_crimes_against_humanity_and_genocide():
    murder = crime_elements("7(1)(a)")
    killing = crime_elements("6(a)")

    assert "widespread or systematic attack" in murder[1].summary
    assert "knew" in murder[2].summary
    assert "manifest pattern" in killing[3].summary
    assert [element.kind for element in killing] == ["material", "material", "mental", "contextual"]


def test_spot_checks_of_single_elements():
    wilful_killing = crime_elements("8(2)(a)(i)")
    assert [element.kind for element in wilful_killing] == [
        "material", "material", "mental", "contextual", "contextual"
    ]  # fmt: skip
    assert "Geneva Conventions" in wilful_killing[1].summary

    assert "under the age of 18" in crime_elements("6(e)")[4].summary
    assert "under the age of 15" in crime_elements("8(2)(e)(vii)")[1].summary
    assert "remove the persons from the protection of the law" in crime_elements("7(1)(i)")[5].summary
    assert "clearly excessive" in crime_elements("8(2)(b)(iv)")[1].summary
    # The UN's flag: knowledge only, "should have known" does not suffice (Elements, footnote to element 3).
    assert "not enough" in crime_elements("8(2)(b)(vii)-3")[2].summary
    assert "article 3 common" in crime_elements("8(2)(e)(vi)-6")[1].summary
    assert "grave breach" in crime_elements("8(2)(b)(xxii)-6")[1].summary


def test_an_unknown_crime_code_is_a_key_error():
    with pytest.raises(KeyError, match=r"8\(2\)\(z\)"):
        crime_elements("8(2)(z)")


def test_the_returned_list_is_a_copy_that_cannot_change_the_data():
    elements = crime_elements("7(1)(a)")
    elements.clear()

    assert len(crime_elements("7(1)(a)")) == 3


# --- Modes of liability --------------------------------------------------------------------------------


def test_the_modes_of_liability_of_articles_25_and_28_in_the_statutes_order():
    assert list(modes()) == MODE_CODES


MODE_ELEMENT_KINDS = {
    "25(3)(a)-direct": "os",
    "25(3)(a)-co": "ooss",
    "25(3)(a)-indirect": "ooss",
    "25(3)(a)-indirect-co": "oooss",
    "25(3)(b)-ordering": "oooos",
    "25(3)(b)-soliciting": "ooos",
    "25(3)(b)-inducing": "ooos",
    "25(3)(c)": "ooss",
    "25(3)(d)": "oooss",
    "25(3)(e)": "ooos",
    "25(3)(f)": "oos",
    "28(a)": "ooosoo",
    "28(b)": "oosooo",
}


@pytest.mark.parametrize("code", MODE_CODES)
def test_every_mode_has_numbered_cited_elements_of_known_kinds(code):
    mode = modes()[code]
    elements = mode_elements(code)

    assert "".join(element.kind[0] for element in elements) == MODE_ELEMENT_KINDS[code]
    assert [element.number for element in elements] == list(range(1, len(elements) + 1))
    assert code.startswith(mode.article)
    for element in elements:
        assert element.kind in {"objective", "subjective"}
        assert re.search(rf"Rome Statute, arts?\. {re.escape(mode.article)}", element.citation)
        assert CYRILLIC.search(element.summary_uk)
    assert CYRILLIC.search(mode.title_uk)


def test_command_responsibility_follows_the_bemba_decisions():
    elements = mode_elements("28(a)")

    assert "effective command and control" in elements[2].summary
    assert "should have known" in elements[3].summary
    assert "necessary and reasonable measures" in elements[4].summary
    assert "as a result of" in elements[5].summary
    assert "ICC-01/05-01/08-424, para. 407" in elements[2].citation
    assert "ICC-01/05-01/08-3343, para. 170" in elements[2].citation
    assert "consciously disregarded" in mode_elements("28(b)")[2].summary


def test_co_perpetration_follows_the_lubanga_trial_judgment():
    plan, contribution, intent, awareness = mode_elements("25(3)(a)-co")

    assert "common plan" in plan.summary
    assert "essential contribution" in contribution.summary
    assert "ordinary course of events" in intent.summary
    assert "aware" in awareness.summary
    for element in (plan, contribution, intent, awareness):
        assert "Lubanga Trial Judgment, ICC-01/04-01/06-2842, para. 1018" in element.citation


def test_an_unknown_mode_is_a_key_error():
    with pytest.raises(KeyError, match="25\\(3\\)\\(g\\)"):
        mode_elements("25(3)(g)")


# --- Keys -----------------------------------------------------------------------------------------------


def test_element_keys_are_stable_strings():
    assert element_key("crime", "8(2)(a)(i)", 1) == "crime:8(2)(a)(i):1"
    assert element_key("crime", "7(1)(g)-6", 5) == "crime:7(1)(g)-6:5"
    assert element_key("mode", "28(a)", 2) == "mode:28(a):2"
    assert element_key("mode", "25(3)(a)-indirect-co", 5) == "mode:25(3)(a)-indirect-co:5"


@pytest.mark.parametrize(
    ("subject", "code", "number", "message"),
    [
        ("crime", "8(2)(a)(i)", 6, "has no element 6"),
        ("crime", "8(2)(a)(i)", 0, "has no element 0"),
        ("crime", "8(2)(b)(xx)", 1, "has no element 1"),
        ("crime", "9(1)", 1, "unknown crime"),
        ("mode", "28(c)", 1, "unknown mode"),
        ("person", "28(a)", 1, "subject must be"),
    ],
)
def test_no_key_is_made_for_an_element_that_does_not_exist(subject, code, number, message):
    with pytest.raises(ValueError, match=message):
        element_key(subject, code, number)


def test_a_key_reads_back_into_what_it_names():
    assert parse_element_key("crime:7(1)(g)-1:4") == ("crime", "7(1)(g)-1", 4)
    assert parse_element_key("mode:25(3)(b)-ordering:3") == ("mode", "25(3)(b)-ordering", 3)
    with pytest.raises(ValueError, match="not an element key"):
        parse_element_key("crime:7(1)(a)")
    with pytest.raises(ValueError, match="has no element 9"):
        parse_element_key("crime:7(1)(a):9")


def test_the_summary_is_given_in_the_language_asked_for():
    element = crime_elements("8(2)(a)(i)")[0]

    assert isinstance(element, Element)
    assert element.summary_in("uk") == element.summary_uk
    assert element.summary_in("uk-UA") == element.summary_uk
    assert element.summary_in("en") == element.summary
    assert element.summary_in(None) == element.summary


def test_the_data_file_is_kept_pretty_printed():
    text = DATA_FILE.read_text(encoding="utf-8")

    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"
