"""TEMPORARY STAND-IN for issue 14 §1 (the elements of crimes and modes of liability as data), written for the
review branch only: the lead replaces this file at merge with the real loader (evidence/elements.py reading
evidence/data/elements.json). It holds three crimes and two modes, in the contract's shape; the review code
uses nothing but ``crime_elements``, ``modes``, ``mode_elements`` and ``element_key``."""

from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class Element:
    number: int
    kind: str  # crimes: "material" | "contextual" | "mental"; modes: "objective" | "subjective"
    summary: str
    citation: str


@dataclass(frozen=True)
class Mode:
    title: str
    article: str
    elements: list[Element] = field(default_factory=list)


_EOC = "ICC Elements of Crimes (2013)"
_CONTEXT_IAC = "The conduct took place in the context of and was associated with an international armed conflict."
_AWARE_IAC = "The perpetrator was aware of factual circumstances that established the existence of an armed conflict."
_CRIMES: dict[str, list[Element]] = {
    "8(2)(a)(i)": [
        Element(1, "material", "The perpetrator killed one or more persons.", f"{_EOC}, art. 8(2)(a)(i), element 1"),
        Element(2, "material", "Those persons were protected under the Geneva Conventions of 1949.",
                f"{_EOC}, art. 8(2)(a)(i), element 2"),
        Element(3, "mental", "The perpetrator was aware of the factual circumstances that established that protected "
                "status.", f"{_EOC}, art. 8(2)(a)(i), element 3"),
        Element(4, "contextual", _CONTEXT_IAC, f"{_EOC}, art. 8(2)(a)(i), element 4"),
        Element(5, "mental", _AWARE_IAC, f"{_EOC}, art. 8(2)(a)(i), element 5"),
    ],
    "8(2)(b)(i)": [
        Element(1, "material", "The perpetrator directed an attack.", f"{_EOC}, art. 8(2)(b)(i), element 1"),
        Element(2, "material", "The object of the attack was a civilian population or individual civilians not taking "
                "direct part in hostilities.", f"{_EOC}, art. 8(2)(b)(i), element 2"),
        Element(3, "mental", "The perpetrator intended the civilians to be the object of the attack.",
                f"{_EOC}, art. 8(2)(b)(i), element 3"),
        Element(4, "contextual", _CONTEXT_IAC, f"{_EOC}, art. 8(2)(b)(i), element 4"),
        Element(5, "mental", _AWARE_IAC, f"{_EOC}, art. 8(2)(b)(i), element 5"),
    ],
    "7(1)(a)": [
        Element(1, "material", "The perpetrator killed one or more persons.", f"{_EOC}, art. 7(1)(a), element 1"),
        Element(2, "contextual", "The conduct was committed as part of a widespread or systematic attack directed "
                "against a civilian population.", f"{_EOC}, art. 7(1)(a), element 2"),
        Element(3, "mental", "The perpetrator knew that the conduct was part of, or intended it to be part of, such an "
                "attack.", f"{_EOC}, art. 7(1)(a), element 3"),
    ],
}  # fmt: skip
_MODES: dict[str, Mode] = {
    "25(3)(a)-direct": Mode(
        "Committing (direct perpetration)", "25(3)(a)",
        [
            Element(1, "objective", "The person physically carried out the material elements of the crime.",
                    "Rome Statute art. 25(3)(a); Lubanga TC judgment para. 976"),
            Element(2, "subjective", "The person acted with intent and knowledge (article 30).",
                    "Rome Statute art. 30"),
        ],
    ),
    "28(a)": Mode(
        "Responsibility of military commanders", "28(a)",
        [
            Element(1, "objective", "The person was a military commander or acted effectively as one.",
                    "Rome Statute art. 28(a)"),
            Element(2, "objective", "The forces were under the commander's effective command and control.",
                    "Rome Statute art. 28(a)"),
            Element(3, "subjective", "The commander knew or should have known that the forces were committing or "
                    "about to commit the crimes.", "Rome Statute art. 28(a)(i)"),
            Element(4, "objective", "The commander failed to take all necessary and reasonable measures.",
                    "Rome Statute art. 28(a)(ii)"),
        ],
    ),
}  # fmt: skip


def crime_elements(code: str) -> list[Element]:
    return list(_CRIMES.get(code, []))


@cache
def modes() -> dict[str, Mode]:
    return dict(_MODES)


def mode_elements(code: str) -> list[Element]:
    mode = modes().get(code)
    return list(mode.elements) if mode else []


def element_key(scope: str, code: str, number: int) -> str:
    """ "crime:8(2)(a)(i):1", "mode:28(a):2"."""
    return f"{scope}:{code}:{number}"
