"""The canonical JSON of custody entries (RFC 8785, JCS): Slid's form (through the rfc8785 library)
and verify.py's own, standard-library one, against vectors written by hand."""

import json
import math
import random
import struct

import pytest
import rfc8785

from evidence import custody
from evidence.package import verify

# A version-2 entry with what canonical JSON is particular about: -0.0, 1e21, 1e-7, the largest
# exact integer, an integer beyond it (as a string: custody refuses it as a number), non-ASCII text
# (Cyrillic, a character beyond the BMP), escapes, and keys that sort differently by UTF-16 code
# unit (JCS) than by code point: "😀" (D83D DE00) before "ﬀ" (FB00).
GOLDEN_FIELDS = {
    "agent": "worker:slid@host-1",
    "agent_details": {"host": "host-1", "tools": {"exiftool": "12.57"}},
    "detail": 'Отримано "IMG_0042.jpg"\tз Бучі ☕ 𝄞\n\x1f',
    "details": {
        "negative_zero": -0.0,
        "big": 1e21,
        "small": 1e-7,
        "ratio": 0.1,
        "serial": "9007199254740993",
        "count": 9007199254740991,
        "list": [1.5, "Київ", None, True, False],
        "€": 1,
        "😀": 2,
        "ﬀ": 3,
    },
    "event_type": "hashed",
    "evidence": "0b9d6a4e-3c52-4f0e-9d3a-7a1f2b3c4d5e",
    "occurred_at": "2022-03-04T08:15:00.123456Z",
    "outcome": "success",
    "previous_hash": "0" * 64,
    "sequence": 2,
    "version": 2,
}
# Written by hand from RFC 8785; the hash is `printf '%s' '<these bytes>' | sha256sum`.
GOLDEN_CANONICAL = (
    r'{"agent":"worker:slid@host-1","agent_details":{"host":"host-1","tools":{"exiftool":"12.57"}},'
    r'"detail":"Отримано \"IMG_0042.jpg\"\tз Бучі ☕ 𝄞\n\u001f",'
    r'"details":{"big":1e+21,"count":9007199254740991,"list":[1.5,"Київ",null,true,false],"negative_zero":0,'
    r'"ratio":0.1,"serial":"9007199254740993","small":1e-7,"€":1,"😀":2,"ﬀ":3},'
    r'"event_type":"hashed","evidence":"0b9d6a4e-3c52-4f0e-9d3a-7a1f2b3c4d5e",'
    r'"occurred_at":"2022-03-04T08:15:00.123456Z","outcome":"success",'
    r'"previous_hash":"0000000000000000000000000000000000000000000000000000000000000000","sequence":2,"version":2}'
).encode()
GOLDEN_SHA256 = "871dc189a52a05c0e6cdc3fd42b308b006471d0735de1b139dd20d0deed834f3"

# RFC 8785, Appendix B: IEEE 754 doubles (as bits) and their canonical form.
RFC_8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def double(bits: str) -> float:
    return struct.unpack(">d", bytes.fromhex(bits))[0]


def test_slid_writes_the_golden_entry_byte_for_byte():
    assert custody.canonical_bytes(GOLDEN_FIELDS) == GOLDEN_CANONICAL
    assert custody.entry_hash(GOLDEN_FIELDS) == GOLDEN_SHA256


def test_the_rfc8785_library_agrees_with_the_hand_written_vector():
    assert rfc8785.dumps(GOLDEN_FIELDS) == GOLDEN_CANONICAL


def test_verify_py_writes_the_golden_entry_byte_for_byte():
    assert verify.canonical_json(GOLDEN_FIELDS).encode("utf-8") == GOLDEN_CANONICAL
    assert verify.entry_hash(GOLDEN_FIELDS) == GOLDEN_SHA256


def test_verify_py_recomputes_the_golden_entry_as_read_from_a_package_line():
    # verify.py reads each entry back from a JSON line; -0.0, 1e21 and the rest must survive that.
    line = json.dumps({**GOLDEN_FIELDS, "entry_hash": GOLDEN_SHA256}, sort_keys=True, ensure_ascii=False)

    assert verify.entry_hash(json.loads(line)) == GOLDEN_SHA256


@pytest.mark.parametrize(("bits", "expected"), RFC_8785_NUMBERS)
def test_numbers_are_written_as_ecmascript_writes_them(bits, expected):
    value = double(bits)

    assert verify.ecmascript_number(value) == expected
    assert rfc8785.dumps(value).decode() == expected


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_have_no_canonical_form(bits):
    with pytest.raises(ValueError, match="no JSON form"):
        verify.canonical_json(double(bits))
    with pytest.raises(custody.CustodyDetailsError, match="NaN or infinity"):
        custody.canonical_bytes({**GOLDEN_FIELDS, "details": {"value": double(bits)}})


@pytest.mark.parametrize("number", [2**53, -(2**53), 2**64])
def test_integers_beyond_2_to_the_53_are_refused_not_rounded(number):
    with pytest.raises(custody.CustodyDetailsError, match=rf"entry\.details\.count = {number}: integers beyond"):
        custody.canonical_bytes({**GOLDEN_FIELDS, "details": {"count": number}})
    with pytest.raises(ValueError, match="beyond the integers JSON numbers carry exactly"):
        verify.canonical_json({"count": number})


def test_keys_sort_by_utf16_code_units_not_code_points():
    document = {"ﬀ": 1, "😀": 2, "a": 3, "€": 4, "": 5, "aa": 6}

    assert verify.canonical_json(document) == '{"":5,"a":3,"aa":6,"€":4,"😀":2,"ﬀ":1}'
    assert rfc8785.dumps(document).decode() == '{"":5,"a":3,"aa":6,"€":4,"😀":2,"ﬀ":1}'


def test_strings_escape_only_what_json_requires():
    text = 'quote " backslash \\ controls \x00\x08\x09\x0a\x0c\x0d\x1f del \x7f line-separator \u2028 é'
    expected = r'"quote \" backslash \\ controls \u0000\b\t\n\f\r\u001f del ' + "\x7f line-separator \u2028 é" + '"'

    assert verify.canonical_json(text) == expected
    assert rfc8785.dumps(text).decode() == expected


def test_version_1_entries_keep_their_form():
    fields = {name: value for name, value in GOLDEN_FIELDS.items() if name != "version"}
    fields["details"] = {"ratio": 0.5, "size_bytes": 14}
    fields.update(
        agent="user:olena",
        agent_details={"type": "person", "user_id": 7},
        detail="Отримано IMG_0042.jpg",
        event_type="received",
        occurred_at="2022-03-04T08:15:00.000000Z",
        sequence=1,
    )
    # Python's JSON, keys sorted by code point, by hand; `printf '%s' … | sha256sum`.
    expected = "40e05548e08eec60caf41801d0d48db59724a5b9157797bf203b9d892ff03cd3"

    assert custody.entry_hash(fields) == expected
    assert verify.entry_hash(fields) == expected


# Random documents: verify.py's JCS must agree with the library on each.
CHARACTERS = [
    (0x00, 0x7F),  # ASCII, controls included
    (0x80, 0x2FF),  # Latin
    (0x400, 0x4FF),  # Cyrillic
    (0x2000, 0x206F),  # punctuation, U+2028/2029
    (0x4E00, 0x4E80),  # CJK
    (0xE000, 0xFFFD),  # private use and the end of the BMP (sorts after surrogates in UTF-16)
    (0x1F300, 0x1F6FF),  # emoji, beyond the BMP
    (0x10000, 0x1007F),
]


def random_text(rng: random.Random) -> str:
    characters = []
    for _ in range(rng.randint(0, 12)):
        low, high = rng.choice(CHARACTERS)
        characters.append(chr(rng.randint(low, high)))
    return "".join(characters)


def random_number(rng: random.Random) -> int | float:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randint(-(2**53) + 1, 2**53 - 1)
    if kind == 1:
        return rng.randint(-1000, 1000)
    if kind == 2:
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 8))
    if kind == 3:
        return rng.choice([0.0, -0.0, 1e21, 1e-7, 1e-6, 1e20, 0.1, 5e-324, 2.0**53, 1e308])
    while True:  # any finite double, from random bits
        value = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
        if math.isfinite(value):
            return value


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind in (2, 3):
        return random_number(rng)
    if kind in (4, 5):
        return random_text(rng)
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_text(rng): random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def random_entry(rng: random.Random) -> dict:
    return {
        "agent": f"worker:{random_text(rng)}",
        "agent_details": {random_text(rng): random_value(rng, 1) for _ in range(3)},
        "detail": random_text(rng),
        "details": {random_text(rng): random_value(rng, 1) for _ in range(rng.randint(0, 6))},
        "event_type": "hashed",
        "evidence": "0b9d6a4e-3c52-4f0e-9d3a-7a1f2b3c4d5e",
        "occurred_at": "2022-03-04T08:15:00.000000Z",
        "outcome": "success",
        "previous_hash": f"{rng.getrandbits(256):064x}",
        "sequence": rng.randint(1, 10_000),
        "version": 2,
    }


def test_verify_py_agrees_with_the_library_on_random_entries():
    rng = random.Random(8785)  # noqa: S311 - reproducible test data, not secrets
    for _ in range(400):
        entry = random_entry(rng)
        expected = rfc8785.dumps(entry)

        assert verify.canonical_json(entry).encode("utf-8") == expected, entry
        # As verify.py meets it: read back from the package's JSON line.
        assert verify.entry_hash(json.loads(json.dumps(entry, ensure_ascii=False))) == custody.entry_hash(entry)


def test_verify_py_agrees_with_the_library_on_random_numbers():
    rng = random.Random(754)  # noqa: S311 - reproducible test data, not secrets
    for _ in range(2000):
        number = random_number(rng)

        assert verify.canonical_json(number) == rfc8785.dumps(number).decode(), repr(number)
