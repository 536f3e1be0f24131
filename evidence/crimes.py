"""The crime vocabulary: every crime of Rome Statute articles 6, 7 and 8 as the ICC's Elements of
Crimes names and numbers them. Shipped as data (data/crimes.json), read once."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "crimes.json"


@dataclass(frozen=True)
class Crime:
    code: str
    article: str
    title: str
    amended_by: str | None


@cache
def crimes() -> dict[str, Crime]:
    return {row["code"]: Crime(**row) for row in json.loads(DATA_FILE.read_text())["crimes"]}


def unknown_crime_codes(codes: list[str]) -> list[str]:
    known = crimes()
    return [code for code in codes if code not in known]
