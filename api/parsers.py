"""JSON bodies as DRF reads them, with what PostgreSQL cannot store refused up front, naming the field."""

import io
import re
from typing import Any

from django.utils.translation import gettext
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

# In JSON text, NUL and UTF-16 surrogates can only arrive as \u escapes (a raw control character or an
# encoded surrogate is refused by the JSON or the UTF-8 decoder): only a body with one is looked through.
SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|d[89a-f])", re.IGNORECASE)
GEOJSON_PROPERTIES = "properties"

Path = tuple[str | int, ...]  # keys and list indexes from the top of the body


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with JSON nested too deeply for Python's parser answered as a 400, and with NUL
    characters and unpaired surrogates refused anywhere in the body, keys included. PostgreSQL stores
    neither (``text`` refuses NUL, ``jsonb`` refuses \\u0000, and a lone surrogate is not UTF-8), so
    a key of a JSON field (person identifiers, profile columns) would otherwise fail on saving."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError(gettext("JSON parse error - nested too deeply.")) from None
        if SUSPECT_ESCAPE.search(raw):
            problem = unstorable_text(data)
            if problem is not None:
                field, reason = problem
                raise ValidationError({field: [reason]})
        return data


def unstorable_text(data: Any) -> tuple[str, str] | None:
    """(the field, the reason) for the first key or string with a NUL or an unpaired surrogate, or None.

    The field is the top-level member it is in (the property, in a GeoJSON Feature's ``properties``)."""
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                if (reason := _unstorable(key)) is not None:
                    return _field(path + (key,)), gettext("A key %(reason)s: %(where)s.") % {
                        "reason": reason,
                        "where": _where(path + (key,)),
                    }
                stack.append((child, path + (key,)))
        elif isinstance(value, list):
            stack.extend((child, path + (index,)) for index, child in enumerate(value))
        elif isinstance(value, str) and (reason := _unstorable(value)) is not None:
            return _field(path), gettext("Text %(reason)s: %(where)s.") % {"reason": reason, "where": _where(path)}
    return None


def _unstorable(text: str) -> str | None:
    if "\x00" in text:
        return gettext("may not contain NUL (U+0000)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return gettext("may not contain an unpaired surrogate (U+D800 to U+DFFF), which is not a character")
    return None


def _field(path: Path) -> str:
    names = [name for name in path if isinstance(name, str)]
    if len(names) > 1 and names[0] == GEOJSON_PROPERTIES:
        names = names[1:]
    return _safe(names[0]) if names else "non_field_errors"


def _where(path: Path) -> str:
    if not path:
        return gettext("the whole body")
    where = "".join(f"[{part if isinstance(part, int) else ascii(part)[:100]}]" for part in path)
    return gettext("at %(path)s") % {"path": where}


def _safe(name: str) -> str:
    """The name as printable ASCII: a NUL or a lone surrogate could not be written in the answer."""
    return ascii(name)[1:-1][:100]
