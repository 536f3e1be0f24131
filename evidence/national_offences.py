"""The national vocabulary beside the Rome Statute's (evidence.crimes): the articles of the Criminal Code of
Ukraine under which Ukrainian prosecutors charge the crimes of this war, numbered article(part) — 438(1),
438(2). Shipped as data (data/national_offences.json), with the Code's Ukrainian titles and English
translations, read once.

Only Section XX (crimes against peace, the security of mankind and the international legal order) is
listed: the offences committed in waging the war and against its victims. Collaboration (art. 111-1) and
encroachment on territorial integrity (art. 110) are crimes against Ukraine's national security by its
own citizens and officials, another kind of case; they can be added to the data when a case needs them."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "national_offences.json"


@dataclass(frozen=True)
class NationalOffence:
    code: str
    article: str
    part: str | None
    title_uk: str
    title_en: str
    part_en: str


@cache
def national_offences() -> dict[str, NationalOffence]:
    rows = json.loads(DATA_FILE.read_text(encoding="utf-8"))["offences"]
    return {row["code"]: NationalOffence(**row) for row in rows}


def unknown_national_offence_codes(codes: list[str]) -> list[str]:
    known = national_offences()
    return [code for code in codes if code not in known]
