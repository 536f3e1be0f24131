"""Well-known text (WKT, and PostGIS' EWKT with ``SRID=4326;``) read in Python into GeoJSON's nesting.

GEOS would read WKT itself, but it must not see a number before geo.validation has bounded it (some
extreme values abort the process), so the text is read here and handed on as positions."""

import re

# GeoJSON's name for each WKT type.
WKT_TYPES = {
    "POINT": "Point",
    "MULTIPOINT": "MultiPoint",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
}
DIMENSIONS = {"": None, "Z": ("altitude",), "M": ("measure",), "ZM": ("altitude", "measure")}
# How deep positions sit in each type's coordinates.
POSITION_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
SRID_PREFIX = re.compile(r"\s*SRID\s*=\s*([^;]*);", re.IGNORECASE)
TOKEN = re.compile(
    r"\s*(?:(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<word>[A-Za-z]+)|(?P<mark>[(),])|(?P<other>\S))"
)
WGS84 = "4326"


class WKTError(ValueError):
    pass


def read_wkt(text: str) -> tuple[str, list, tuple[str, ...]]:
    """(GeoJSON type, coordinates nested as GeoJSON nests them, the axes of each position)."""
    if not isinstance(text, str):
        raise WKTError("expected text")
    srid = SRID_PREFIX.match(text)
    if srid:
        if srid.group(1).strip() != WGS84:
            raise WKTError(f"only SRID={WGS84} (WGS 84 longitude, latitude) is accepted")
        text = text[srid.end() :]
    return _Reader(text).geometry()


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        for match in TOKEN.finditer(text):
            kind = match.lastgroup or "other"
            if kind == "other":
                raise WKTError(f"unexpected {match.group(kind)!r}")
            self.tokens.append((kind, match.group(kind)))
        self.at = 0
        self.size: int | None = None

    def geometry(self) -> tuple[str, list, tuple[str, ...]]:
        word = self._word()
        name, suffix = self._type_and_suffix(word)
        if not suffix and self._peek() in (("word", "Z"), ("word", "M"), ("word", "ZM")):
            suffix = self._word()
        if self._peek() == ("word", "EMPTY"):
            raise WKTError("the geometry is empty")
        kind = WKT_TYPES[name]
        extra = DIMENSIONS[suffix]
        if extra is not None:
            self.size = 2 + len(extra)
        if kind == "Point":  # POINT (30 50): the one position in parentheses
            self._expect("(")
            coordinates = self._position()
            self._expect(")")
        else:
            coordinates = self._coordinates(POSITION_DEPTH[kind], multipoint=kind == "MultiPoint")
        if self.at != len(self.tokens):
            raise WKTError(f"unexpected {self.tokens[self.at][1]!r} after the geometry")
        if extra is None:  # not declared: two numbers, or three (altitude), or four (altitude, measure)
            extra = {2: (), 3: ("altitude",), 4: ("altitude", "measure")}[self.size or 2]
        return kind, coordinates, ("longitude", "latitude", *extra)

    def _type_and_suffix(self, word: str) -> tuple[str, str]:
        for suffix in ("ZM", "Z", "M", ""):
            name = word[: len(word) - len(suffix)]
            if word.endswith(suffix) and name in WKT_TYPES:
                return name, suffix
        raise WKTError(f"unsupported geometry type {word[:40]!r}; use one of {', '.join(WKT_TYPES)}")

    def _coordinates(self, depth: int, *, multipoint: bool = False) -> list:
        if depth == 0:
            return self._position()
        self._expect("(")
        items = [self._child(depth, multipoint)]
        while self._peek() == ("mark", ","):
            self.at += 1
            items.append(self._child(depth, multipoint))
        self._expect(")")
        return items

    def _child(self, depth: int, multipoint: bool) -> list:
        if multipoint and self._peek() == ("mark", "("):  # MULTIPOINT((1 2), (3 4)) as well as (1 2, 3 4)
            self.at += 1
            position = self._position()
            self._expect(")")
            return position
        return self._coordinates(depth - 1)

    def _position(self) -> list:
        numbers: list[float] = []
        while self._peek()[0] == "number":
            numbers.append(float(self.tokens[self.at][1]))  # a number too large to be a float becomes inf
            self.at += 1
        if self.size is None:
            if not 2 <= len(numbers) <= 4:
                raise WKTError(f"a position has 2 to 4 numbers, not {len(numbers)}")
            self.size = len(numbers)
        if len(numbers) != self.size:
            raise WKTError(f"every position must have {self.size} numbers (one has {len(numbers)})")
        return numbers

    def _peek(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            return ("end", "")
        kind, value = self.tokens[self.at]
        return (kind, value.upper()) if kind == "word" else (kind, value)

    def _word(self) -> str:
        kind, value = self._peek()
        if kind != "word":
            raise WKTError(f"expected a geometry type, found {value[:40]!r}" if value else "the text is empty")
        self.at += 1
        return value

    def _expect(self, mark: str) -> None:
        kind, value = self._peek()
        if (kind, value) != ("mark", mark):
            raise WKTError(f"expected {mark!r}, found {value[:40]!r}" if value else f"expected {mark!r} at the end")
        self.at += 1
