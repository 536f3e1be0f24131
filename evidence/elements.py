"""What must be proven: the elements of every crime in data/crimes.json, numbered as the ICC's Elements of
Crimes number them, and the elements of each mode of liability (Rome Statute arts. 25(3) and 28) as ICC
chambers state them. Shipped as data (data/elements.json), read once.

The summaries are ours, written to sort evidence by; a filing quotes the official text named in `citation`."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "data" / "elements.json"


@dataclass(frozen=True)
class Element:
    """kind: "material", "mental" or "contextual" for a crime; "objective" or "subjective" for a mode."""

    number: int
    kind: str
    summary: str
    citation: str
    summary_uk: str

    def summary_in(self, language: str | None) -> str:
        """The summary in Ukrainian for "uk" (and "uk-UA"), otherwise in English."""
        if language and language.lower().split("-")[0] == "uk":
            return self.summary_uk
        return self.summary


@dataclass(frozen=True)
class Mode:
    code: str
    title: str
    title_uk: str
    article: str
    elements: tuple[Element, ...]


def _element(row: dict[str, Any]) -> Element:
    return Element(
        number=row["number"],
        kind=row["kind"],
        summary=row["summary"],
        citation=row["citation"],
        summary_uk=row["summary_uk"],
    )


@cache
def _data() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@cache
def _crime_elements() -> dict[str, tuple[Element, ...]]:
    return {code: tuple(_element(row) for row in rows) for code, rows in _data()["crimes"].items()}


@cache
def modes() -> dict[str, Mode]:
    """Every mode of liability, by code ("25(3)(a)-co", "28(a)", …), in the order of the Statute."""
    return {
        code: Mode(
            code=code,
            title=mode["title"],
            title_uk=mode["title_uk"],
            article=mode["article"],
            elements=tuple(_element(row) for row in mode["elements"]),
        )
        for code, mode in _data()["modes"].items()
    }


def crime_elements(code: str) -> list[Element]:
    """The elements of a crime of data/crimes.json, in order. KeyError for a code that is not a crime.

    One crime, 8(2)(b)(xx), has none: its elements are to be drafted once an annex to the Statute lists
    the weapons concerned (see `crime_note`)."""
    return list(_crime_elements()[code])


def crime_note(code: str) -> str | None:
    """Why a crime's elements are as they are, where that needs saying (e.g. a crime with no elements)."""
    return _data()["notes"].get(code)


def mode_elements(code: str) -> list[Element]:
    """The elements of a mode of liability, in order. KeyError for an unknown mode."""
    return list(modes()[code].elements)


def element_key(subject: str, code: str, number: int) -> str:
    """A stable id for one element, e.g. "crime:8(2)(a)(i):1" or "mode:28(a):2". ValueError if there is
    no such element, so that a key is never made for something that does not exist."""
    if subject == "crime":
        elements = _crime_elements().get(code)
    elif subject == "mode":
        mode = modes().get(code)
        elements = mode.elements if mode else None
    else:
        raise ValueError(f"subject must be 'crime' or 'mode', not {subject!r}")
    if elements is None:
        raise ValueError(f"unknown {subject} {code!r}")
    if not any(element.number == number for element in elements):
        raise ValueError(f"{subject} {code!r} has no element {number}")
    return f"{subject}:{code}:{number}"


def parse_element_key(key: str) -> tuple[str, str, int]:
    """The (subject, code, number) of a key made by element_key; ValueError if it names no element."""
    subject, separator, rest = key.partition(":")
    code, separator2, number = rest.rpartition(":")
    if not (separator and separator2 and number.isdigit()):
        raise ValueError(f"not an element key: {key!r}")
    element_key(subject, code, int(number))  # validates subject, code and number
    return subject, code, int(number)
