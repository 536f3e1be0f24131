"""Languages as ISO 639 codes: the two-letter codes of ISO 639-1 (``uk``), the three-letter codes of
ISO 639-2 (both its terminology and bibliographic forms, ``ukr``, ``ger``), of ISO 639-3 (every individual
language, such as ``rue``, Rusyn) and the language families of ISO 639-5. The list is Debian's iso-codes,
shipped in evidence/data/iso639.json (its ``source`` says which release)."""

import json
from functools import cache
from pathlib import Path

from django.utils.translation import gettext

CODES_FILE = Path(__file__).parent / "data" / "iso639.json"


@cache
def language_names() -> dict[str, str]:
    """{code: English name} of every ISO 639 code."""
    return json.loads(CODES_FILE.read_text(encoding="utf-8"))["codes"]


def language_codes(values: list[str]) -> list[str]:
    """The codes as given, in lower case and each once, in their order. Raises ValueError naming the first
    that is not an ISO 639 code."""
    codes: list[str] = []
    for value in values:
        code = value.strip().lower() if isinstance(value, str) else ""
        if code not in language_names():
            message = gettext('"%(code)s" is not an ISO 639 language code (such as uk, ukr, ru, en, crh).')
            raise ValueError(message % {"code": str(value)[:20]})
        if code not in codes:
            codes.append(code)
    return codes
