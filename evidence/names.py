"""Names in any script, reduced to lower-case Latin letters so that "Омурбеков" meets "Omurbekov"."""

import re

from unidecode import unidecode


def latin_form(name: str) -> str:
    latin = unidecode(name).lower()
    return re.sub(r"[^a-z0-9]+", " ", latin).strip()
