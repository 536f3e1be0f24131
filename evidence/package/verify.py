#!/usr/bin/env python3
"""Checks a Slid submission package with nothing but Python 3.8 or newer.

    python3 verify.py                 # the package this script is in (its bag folder)
    python3 verify.py PACKAGE         # a bag folder, or the package's .zip

It checks that every file listed in the manifests is there with the same SHA-256 and SHA-512,
that no file is there that the manifests do not list, the Payload-Oxum, the tag manifest, that
every chain of custody holds (each entry's hash, and each entry's link to the one before), and
that every evidence file has the SHA-256 its chain of custody recorded when Slid received it.

Manifests can be recomputed by anyone, so it also accounts for every file itself: each member has a
safe name (no absolute path, no "..", no link, none twice) and a place in a Slid package's layout;
each evidence file has its chain of custody and its row in the register, and each chain its file.

It also checks the proofs a package carries beside the evidence. Each RFC 3161 timestamp token
(data/timestamps/) must stamp its file's SHA-256 (read from the token's DER here) and be one its item's
chain of custody recorded; where the openssl program is present, each token's signature is verified
with `openssl ts -verify` against the certificates shipped with it, and the root of that chain is
printed, to be compared with the one the authority publishes. Each provenance record
(data/provenance.json) must be the one the item's chain of custody recorded. Each item's inclusion
proof in the latest checkpoint of custody (data/checkpoints/) must lead, along its audit path (RFC 9162
section 2.1.3.2), from a leaf computed out of the item's chain of custody in the package to the
checkpoint's root, and each token over the checkpoint must stamp that root (its signature is verified
with openssl, where present); the root is printed, to be compared with a root Slid published. It prints
which checks ran and which could not (CHECKED, NOT CHECKED).

It prints each problem and a verdict. It exits 0 when the package is consistent, 1 when it is not
(it was changed or damaged), and 2 when the package is consistent but carries evidence that Slid
itself marked corrupt (an item whose file is not what its submitter sent, included only because it
was chosen by name): the verdict names each such item and the reason.

A consistent package is not yet shown to be the one Slid built: anyone may change a package and
recompute everything above. So it prints the SHA-256 of the .zip it was given, to be compared with
the SHA-256 Slid recorded for the export (bag-info.txt's External-Identifier names it).
"""

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unicodedata
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

GENESIS = "0" * 64
CHAIN_FIELDS = (
    "agent", "agent_details", "detail", "details", "event_type", "evidence", "occurred_at", "outcome",
    "previous_hash", "sequence",
)  # fmt: skip
LARGEST_EXACT_INTEGER = 2**53 - 1
UTC = timezone.utc  # noqa: UP017 - datetime.UTC came with Python 3.11; this script runs on 3.8

# What a Slid package holds, relative to its bag folder, and nothing else.
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt")
PAYLOAD_ALGORITHMS = ("sha256", "sha512")
DOCUMENTS = ("data/register.csv", "data/incidents.geojson", "data/suspects.json", "data/VERIFY.txt", "data/verify.py")
TIMESTAMP_INDEX = "data/timestamps/index.json"
PROVENANCE = "data/provenance.json"
CHECKPOINT = "data/checkpoints/checkpoint.json"
REGISTER_XLSX = "data/register.xlsx"
# Packages built before Slid put timestamps, provenance, checkpoints and the register as a workbook in them
# do not have these; the analysis chart is in a package when its export asked for it.
OPTIONAL_DOCUMENTS = (
    "data/identities.json",
    TIMESTAMP_INDEX,
    PROVENANCE,
    CHECKPOINT,
    REGISTER_XLSX,
    "data/analysis-chart.csv",
    # Every exculpatory assessment of the package's items; packages built before Slid added it have none.
    "data/exculpatory-assessments.csv",
)
# The files of which a package holds one per item, or per token or certificate (below the bag folder).
TOKEN_FILE = re.compile(r"data/timestamps/[^/]+/[^/]+\.tst")
CERTIFICATE_FILE = re.compile(r"data/timestamps/certificates/[^/]+\.pem")
CHECKPOINT_TOKEN_FILE = re.compile(r"data/checkpoints/tokens/[^/]+\.tst")
CHECKPOINT_CERTIFICATE_FILE = re.compile(r"data/checkpoints/certificates/[^/]+\.pem")
PROOF_FILE = re.compile(r"data/checkpoints/proofs/[^/]+\.json")
LAYOUT_PATTERNS = (
    re.compile(r"data/evidence/[^/]+/[^/]+"),
    re.compile(r"data/custody/[^/]+\.jsonl"),
    # Each chain of custody in words, for a person (English and Ukrainian); verify.py checks the JSONL, not these.
    re.compile(r"data/custody-reports/[^/]+\.(en|uk)\.(html|pdf)"),
    TOKEN_FILE,
    CERTIFICATE_FILE,
    CHECKPOINT_TOKEN_FILE,
    CHECKPOINT_CERTIFICATE_FILE,
    PROOF_FILE,
)
# The package's BagIt profile; packages built before Slid shipped one do not have it.
OPTIONAL_TAG_FILES = ("bagit-profile.json",)
REGISTER = "data/register.csv"
# The register begins with a byte order mark, so that Excel reads it as UTF-8 (older packages have none).
BYTE_ORDER_MARK = "\ufeff"
# A register cell that begins with a single quote had one put in front by Slid, so that no
# spreadsheet runs it as a formula; the value is the rest of the cell.
NEUTRALISER = "'"


class Package:
    """The bag's files, read from a folder or from the zip, by path relative to the bag. Members
    that cannot be read safely (an unsafe name, a link, a name twice) are reported and left out."""

    def __init__(self, location: Path, problems: list) -> None:
        self.zip = None
        self.problems = problems
        if location.is_file():
            self._read_zip(location)
        elif location.is_dir():
            self._read_folder(location)
        else:
            raise SystemExit(f"{location}: no such package (a bag folder, or the package's .zip).")
        self._check_collisions()

    def _read_zip(self, location: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(location)
        except zipfile.BadZipFile as error:
            raise SystemExit(f"{location} is not a zip file ({error}).") from None
        files, folders, seen = [], [], {}
        for info in self.zip.infolist():
            name = info.filename
            why = unsafe_because(name)
            if why:
                self.problems.append(f"unsafe member {name!r}: {why}; it was not read.")
                continue
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                continue
            kind = stat.S_IFMT(info.external_attr >> 16)
            (folders if info.is_dir() else files).append((name.rstrip("/"), kind))
        roots = {PurePosixPath(name).parts[0] for name, _ in files + folders}
        self.root, self.paths = None, []
        if len(roots) != 1:
            self.problems.append(f"The zip should hold one bag folder; it holds {len(roots)}: {sorted(roots)}.")
            return
        self.root = roots.pop()
        for name, kind in files:
            path = str(PurePosixPath(*PurePosixPath(name).parts[1:]))
            if path == ".":
                self.problems.append(f"{name}: a file in place of the bag folder.")
            elif self._regular(path, kind or stat.S_IFREG):
                self.paths.append(path)
        for name, count in seen.items():
            if count > 1:
                path = str(PurePosixPath(*PurePosixPath(name).parts[1:]))
                self.problems.append(
                    f"{path}: {count} members of the zip have this name; a package holds each file once."
                )
        self.paths.sort()

    def _read_folder(self, location: Path) -> None:
        self.root = location
        self.paths = []

        def unreadable(error: OSError) -> None:
            self.problems.append(f"{error.filename}: cannot be read ({error.strerror}).")

        for folder, subfolders, names in os.walk(str(location), onerror=unreadable):  # never follows links
            for name in sorted(subfolders + names):
                full = os.path.join(folder, name)
                path = Path(full).relative_to(location).as_posix()
                mode = os.lstat(full).st_mode
                if stat.S_ISDIR(mode):
                    continue
                why = unsafe_because(path)
                if why:
                    self.problems.append(f"unsafe member {path!r}: {why}; it was not read.")
                elif self._regular(path, stat.S_IFMT(mode)):
                    self.paths.append(path)
        self.paths.sort()

    def _regular(self, path: str, kind: int) -> bool:
        if kind == stat.S_IFLNK:
            self.problems.append(f"{path}: a symbolic link; a package holds only regular files, so it was not read.")
            return False
        if kind != stat.S_IFREG:
            self.problems.append(f"{path}: not a regular file (a device, pipe or socket), so it was not read.")
            return False
        return True

    def _check_collisions(self) -> None:
        """Two names one file system would take as one (letter case, Unicode form) hide a file."""
        by_key = {}
        for path in self.paths:
            by_key.setdefault(unicodedata.normalize("NFC", path).casefold(), []).append(path)
        for paths in by_key.values():
            if len(paths) > 1:
                self.problems.append(
                    f"{' and '.join(sorted(paths))}: names that differ only in letter case or Unicode form; "
                    "unpacked on most computers they would be one file."
                )

    def open(self, path: str):
        if self.zip:
            return self.zip.open(f"{self.root}/{path}")
        return (self.root / path).open("rb")

    def read_text(self, path: str) -> str:
        with self.open(path) as handle:
            data = handle.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Unreadable(f"{path}: not readable as UTF-8 text ({error}).") from None

    def digest(self, path: str, algorithm: str) -> str:
        hasher = hashlib.new(algorithm)
        with self.open(path) as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                hasher.update(chunk)
        return hasher.hexdigest()


class Unreadable(Exception):
    """A file of the package that cannot be read as what it should be; the message says which and why."""


def unsafe_because(name: str):
    """Why a member's name is unsafe to read or unpack, or None. Slid writes none of these."""
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    if "\\" in name:
        return "a backslash, which some tools read as a folder separator"
    # By category, not str.isprintable(): Unicode grows, and an older Python must judge a name alike.
    if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") for character in name):
        return "a control or formatting character"
    parts = name[:-1].split("/") if name.endswith("/") else name.split("/")
    if ".." in parts:
        return "a '..' component, which points outside the package"
    if "" in parts or "." in parts:
        return "an empty or '.' component"
    return None


def outside_layout(path: str) -> bool:
    if path in (*TAG_FILES, *OPTIONAL_TAG_FILES, *DOCUMENTS, *OPTIONAL_DOCUMENTS):
        return False
    return not any(pattern.fullmatch(path) for pattern in LAYOUT_PATTERNS)


def decode_path(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def read_manifest(package: Package, name: str) -> dict:
    entries = {}
    for number, line in enumerate(package.read_text(name).splitlines(), start=1):
        if line.strip():
            parsed = re.match(r"([0-9A-Fa-f]+)[ \t]+(\S.*)$", line)
            if not parsed:
                raise Unreadable(f"{name}, line {number}: not a manifest line (a digest, spaces, a path).")
            digest, path = parsed.groups()
            entries[decode_path(path.strip())] = digest.lower()
    return entries


def read_bag_info(package: Package) -> list:
    """bag-info.txt as (label, value) pairs, in order; a label may repeat."""
    pairs = []
    for line in package.read_text("bag-info.txt").splitlines():
        if line[:1] in (" ", "\t") and pairs:  # a value continued on the next line
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]} {line.strip()}")
        elif ":" in line:
            label, value = line.split(":", 1)
            pairs.append((label.strip(), value.strip()))
    return pairs


def check_layout(package: Package, problems: list) -> None:
    """Every file in its place, and every file the layout requires there."""
    for path in package.paths:
        if outside_layout(path):
            problems.append(f'{path}: not part of a Slid package\'s layout (see VERIFY.txt, "What a package holds").')
    for path in (*TAG_FILES, *DOCUMENTS):
        if path not in package.paths and path != "bagit.txt":  # check_bag reports a missing bagit.txt
            problems.append(f"{path} is missing.")


def check_bag(package: Package, problems: list) -> dict:
    if "bagit.txt" not in package.paths:
        problems.append("bagit.txt is missing: this is not a BagIt bag.")
        return {}
    manifests = {}
    for algorithm in PAYLOAD_ALGORITHMS:
        name = f"manifest-{algorithm}.txt"
        if name not in package.paths:
            continue  # check_layout reports it
        try:
            manifests[algorithm] = read_manifest(package, name)
        except Unreadable as error:
            problems.append(str(error))
            continue
        for path, expected in manifests[algorithm].items():
            if path not in package.paths:
                problems.append(f"{path} is listed in {name} but missing.")
            elif package.digest(path, algorithm) != expected:
                problems.append(f"{path}: its {algorithm.upper()} does not match {name}.")
    payload = [p for p in package.paths if p.startswith("data/")]
    for path in payload:
        if path not in manifests.get("sha256", {}):
            problems.append(f"{path} is in the package but in no manifest.")
        elif "sha512" in manifests and path not in manifests["sha512"]:
            problems.append(f"{path} is in the package but not in manifest-sha512.txt.")
    try:
        info = read_bag_info(package) if "bag-info.txt" in package.paths else []
    except Unreadable as error:
        problems.append(str(error))
        info = []
    oxum = next((value for label, value in info if label == "Payload-Oxum"), "")
    octets = 0
    for path in payload:
        with package.open(path) as handle:
            octets += sum(len(chunk) for chunk in iter(lambda h=handle: h.read(1024 * 1024), b""))
    if oxum != f"{octets}.{len(payload)}":
        problems.append(f"Payload-Oxum says {oxum}, the payload is {octets}.{len(payload)}.")
    if "tagmanifest-sha256.txt" in package.paths:
        try:
            tag_manifest = read_manifest(package, "tagmanifest-sha256.txt")
        except Unreadable as error:
            problems.append(str(error))
            tag_manifest = {}
        for path, expected in tag_manifest.items():
            if path not in package.paths or package.digest(path, "sha256") != expected:
                problems.append(f"{path}: does not match tagmanifest-sha256.txt.")
        for path in TAG_FILES:
            if path != "tagmanifest-sha256.txt" and path in package.paths and path not in tag_manifest:
                problems.append(f"{path} is not in tagmanifest-sha256.txt.")
    return manifests.get("sha256", {})


def evidence_files(package: Package) -> dict:
    """{ERN: [its files]} of data/evidence/<ERN>/<file>."""
    files = {}
    for path in package.paths:
        parts = path.split("/")
        if len(parts) == 4 and parts[:2] == ["data", "evidence"]:
            files.setdefault(parts[2], []).append(path)
    return files


def check_accounting(package: Package, files: dict, problems: list) -> None:
    """Each item one file and one chain of custody; each chain an item's."""
    for ern, paths in sorted(files.items()):
        if len(paths) > 1:
            names = ", ".join(sorted(PurePosixPath(p).name for p in paths))
            problems.append(
                f"data/evidence/{ern}/ holds {len(paths)} files ({names}); a package holds one file per item."
            )
        chain = f"data/custody/{ern}.jsonl"
        if chain not in package.paths:
            for path in paths:
                problems.append(f"{path}: no chain of custody ({chain} is missing).")
    for path in package.paths:
        parts = path.split("/")
        if len(parts) == 3 and parts[:2] == ["data", "custody"] and path.endswith(".jsonl"):
            ern = parts[2][: -len(".jsonl")]
            if ern and ern not in files:
                problems.append(f"{path}: a chain of custody for no evidence file (data/evidence/{ern}/ is missing).")


def check_register(package: Package, files: dict, problems: list) -> None:
    """One row per evidence file: some column of the register (the profile names it as it likes)
    holds the ERN of every file once, and nothing else."""
    if REGISTER not in package.paths:
        return  # check_layout reports it
    csv.field_size_limit(2**31 - 1)  # a description may be long
    try:
        text = package.read_text(REGISTER)
        rows = list(csv.reader(io.StringIO(text[1:] if text.startswith(BYTE_ORDER_MARK) else text, newline="")))
    except (Unreadable, csv.Error) as error:
        problems.append(str(error) if isinstance(error, Unreadable) else f"{REGISTER}: not readable as CSV ({error}).")
        return
    if not rows:
        problems.append(f"{REGISTER}: empty; it should have a header and one row per evidence file.")
        return
    header, body = rows[0], rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            problems.append(f"{REGISTER}, row {number}: {len(row)} cells, but the header has {len(header)}.")
    erns = set(files)
    columns = [[exact(row[index]) if index < len(row) else "" for row in body] for index in range(len(header))]
    wanted = sorted(erns)
    if any(sorted(column) == wanted for column in columns) or (not body and not erns):
        return
    # The column that names the most items is taken as the ERN column, to say what is wrong.
    best = max(columns, key=lambda column: len(erns & set(column)), default=[])
    for ern in sorted(erns - set(best)):
        for path in files[ern]:
            problems.append(f"{path}: no row of {REGISTER} names {ern}.")
    for number, value in enumerate(best, start=2):
        if value not in erns:
            problems.append(f"{REGISTER}, row {number}: names {value}, which has no file in the package.")
    for ern in sorted(erns & set(best)):
        if best.count(ern) > 1:
            problems.append(f"{REGISTER} names {ern} in {best.count(ern)} rows; it has one row per item.")


def exact(cell: str) -> str:
    """A register cell's value as recorded (without the quote Slid puts before a would-be formula)."""
    return cell[1:] if cell.startswith(NEUTRALISER) else cell


def canonical_json(value) -> str:
    """RFC 8785 (JCS), the subset custody needs: JSON values as json.loads gives them."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > LARGEST_EXACT_INTEGER:
            raise ValueError(f"{value} is beyond the integers JSON numbers carry exactly (2**53 - 1)")
        return str(value)
    if isinstance(value, float):
        return ecmascript_number(value)
    if isinstance(value, str):
        # json.dumps escapes exactly what JCS escapes: quote, backslash, and control characters
        # (\b \f \n \r \t, the others as lower-case \u00xx); everything else is written as itself.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))  # by UTF-16 code units
        return "{" + ",".join(f"{canonical_json(key)}:{canonical_json(value[key])}" for key in keys) + "}"
    raise ValueError(f"a {type(value).__name__} is not a JSON value")


def ecmascript_number(value: float) -> str:
    """A double as ECMAScript's Number.prototype.toString writes it (ECMA-262, 7.1.12.1). Python's
    repr gives the same shortest digits that round-trip; only the layout differs."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value} has no JSON form")
    if value == 0:
        return "0"  # and -0
    if value < 0:
        return "-" + ecmascript_number(-value)
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    digits = all_digits.lstrip("0")
    # value = 0.<digits> × 10**point
    point = len(whole) - (len(all_digits) - len(digits)) + int(exponent or 0)
    digits = digits.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    shown = point - 1
    sign = "+" if shown >= 0 else "-"
    return (digits[0] + ("." + digits[1:] if count > 1 else "")) + "e" + sign + str(abs(shown))


def entry_hash(entry: dict) -> str:
    """Version 1: Python's JSON with keys sorted; version 2: RFC 8785 (JCS), "version" included."""
    version = entry.get("version", 1)
    if version == 1:
        fields = {name: entry[name] for name in CHAIN_FIELDS}
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    elif version == 2:
        canonical = canonical_json({name: entry[name] for name in (*CHAIN_FIELDS, "version")})
    else:
        raise ValueError(f"unknown entry version {version!r}")
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_custody(package: Package, sha256_of: dict, problems: list) -> tuple:
    """Checks every chain; returns (how many chains, {ERN: why} of items whose chain marks them corrupt,
    {ERN: the chain's entries, or None if it does not hold})."""
    chains = [p for p in package.paths if p.startswith("data/custody/") and p.endswith(".jsonl") and p.count("/") == 2]
    marked_corrupt, entries = {}, {}
    for path in chains:
        ern = PurePosixPath(path).stem
        previous, received_sha256, whole = GENESIS, None, True
        entries[ern] = None
        try:
            lines = [line for line in package.read_text(path).splitlines() if line.strip()]
        except Unreadable as error:
            problems.append(str(error))
            continue
        if not lines:
            problems.append(f"{path}: no entries.")
            continue
        chain = []
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
                recomputed = entry_hash(entry)
                sequence, linked, recorded = entry["sequence"], entry["previous_hash"], entry["entry_hash"]
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                problems.append(f"{path}, line {number}: unreadable ({error}).")
                whole = False
                break
            if sequence != number:
                problems.append(f"{ern}: entry {number} is missing (found entry {sequence} in its place).")
                whole = False
                break
            if linked != previous:
                problems.append(f"{ern}: entry {number} does not link to the entry before it.")
                whole = False
                break
            if recomputed != recorded:
                problems.append(f"{ern}: entry {number} was changed after it was written (its hash differs).")
                whole = False
                break
            received_sha256 = received_sha256 or sha256_at_receipt(entry)
            if entry["event_type"] == "corrupt":
                marked_corrupt[ern] = entry["detail"]
            previous = recorded
            chain.append(entry)
        if whole:
            entries[ern] = chain
        if whole and received_sha256 is None:
            problems.append(
                f"{ern}: its chain of custody records no SHA-256 of the file as Slid received it, so the file "
                "cannot be checked against it."
            )
        files = [p for p in sha256_of if p.startswith(f"data/evidence/{ern}/")]
        for file_path in files:
            if received_sha256 and sha256_of[file_path] != received_sha256:
                problems.append(f"{file_path}: not the file Slid received (SHA-256 {received_sha256}).")
    return len(chains), marked_corrupt, entries


def sha256_at_receipt(entry: dict):
    """The SHA-256 an entry records for the file as Slid received it, if it records one: the
    "received" entry (taken as the upload arrived), or, in older chains, the first "hashed" entry."""
    details = entry["details"] if isinstance(entry["details"], dict) else {}
    if entry["event_type"] == "received" and isinstance(details.get("sha256"), str):
        return details["sha256"]
    if entry["event_type"] == "hashed" and entry["outcome"] == "success":
        digest = (details.get("digests") or {}).get("sha256")
        return digest if isinstance(digest, str) else None
    return None


# --- The proofs beside the evidence: timestamps, provenance, checkpoints ------------------------------
# Each check below takes what the checks above found (Evidence) and adds what it finds wrong to
# ``problems`` and which checks ran or could not to ``findings``. A new kind of proof is one more
# function in PROOF_CHECKS.


class Evidence:
    """What the checks of the package itself found: {ERN: its files}, {path: the SHA-256 the manifest
    gives}, and {ERN: its chain of custody's entries, or None if the chain does not hold}."""

    def __init__(self, files: dict, sha256_of: dict, chains: dict) -> None:
        self.files, self.sha256_of, self.chains = files, sha256_of, chains

    def file_of(self, ern: str):
        paths = sorted(self.files.get(ern, []))
        return paths[0] if paths else None

    def recorded(self, ern: str, event_type: str) -> list:
        """The details of the entries of this type in the item's chain (none if the chain does not hold)."""
        chain = self.chains.get(ern) or []
        return [
            entry["details"] if isinstance(entry["details"], dict) else {}
            for entry in chain
            if entry["event_type"] == event_type
        ]


class Findings:
    """Which checks ran (CHECKED), which could not (NOT CHECKED), and what the reader should compare
    with something outside the package: the roots of the timestamp tokens' certificates, by SHA-256
    fingerprint, and the checkpoint's root."""

    def __init__(self) -> None:
        self.checked, self.not_checked, self.checkpoint_roots = [], [], []
        self.tsa_roots = {}

    @property
    def roots(self) -> list:
        return [
            f"{noted['subject']}; SHA-256 fingerprint {sha256}; in {' and '.join(noted['paths'])}; the root of "
            f"{' and '.join(noted['tokens'])} from {', '.join(sorted(noted['authorities']))}."
            for sha256, noted in self.tsa_roots.items()
        ]


class DerError(ValueError):
    """Bytes that are not the DER this script reads."""


SEQUENCE, SET, INTEGER, OCTET_STRING, OID, GENERALIZED_TIME, EXPLICIT_0 = 0x30, 0x31, 0x02, 0x04, 0x06, 0x18, 0xA0
SIGNED_DATA_OID = "1.2.840.113549.1.7.2"
TST_INFO_OID = "1.2.840.113549.1.9.16.1.4"
SHA256_OID = "2.16.840.1.101.3.4.2.1"
NAME_LABELS = {
    "2.5.4.3": "CN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
    "2.5.4.11": "OU", "2.5.4.97": "organizationIdentifier", "1.2.840.113549.1.9.1": "emailAddress",
}  # fmt: skip


def der_element(data: bytes, offset: int, limit: int) -> tuple:
    """(tag, start, end of the content) of the DER element at ``offset``, which must end by ``limit``."""
    if offset + 2 > limit:
        raise DerError("it ends inside an element")
    tag, first, start = data[offset], data[offset + 1], offset + 2
    if tag & 0x1F == 0x1F:
        raise DerError("a tag of more than one byte")
    length = first
    if first & 0x80:
        count = first & 0x7F
        if not 1 <= count <= 4 or start + count > limit:
            raise DerError("an indefinite or impossible length (not DER)")
        length, start = int.from_bytes(data[start : start + count], "big"), start + count
    if start + length > limit:
        raise DerError("it ends inside an element")
    return tag, start, start + length


def der_inside(data: bytes, element: tuple, tag: int, what: str) -> list:
    """The elements inside ``element``, which must have ``tag``."""
    if element[0] != tag:
        raise DerError(f"{what} is not where it should be")
    children, offset = [], element[1]
    while offset < element[2]:
        child = der_element(data, offset, element[2])
        children.append(child)
        offset = child[2]
    return children


def der_oid(data: bytes, element: tuple) -> str:
    if element[0] != OID or element[1] == element[2]:
        raise DerError("an object identifier was expected")
    numbers, value = [], 0
    for byte in data[element[1] : element[2]]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    first = min(numbers[0] // 40, 2)
    return ".".join(str(number) for number in [first, numbers[0] - 40 * first, *numbers[1:]])


def der_whole(data: bytes) -> tuple:
    element = der_element(data, 0, len(data))
    if element[0] != SEQUENCE or element[2] != len(data):
        raise DerError("it is not one DER SEQUENCE")
    return element


def read_token(der: bytes) -> dict:
    """What verify.py needs of an RFC 3161 TimeStampToken (RFC 3161 §2.4.2, RFC 5652): ContentInfo →
    SignedData → encapContentInfo → eContent (an OCTET STRING holding the TSTInfo) → messageImprint
    {hashAlgorithm, hashedMessage}, serialNumber and genTime."""
    try:
        content_info = der_inside(der, der_whole(der), SEQUENCE, "the ContentInfo")
        if der_oid(der, content_info[0]) != SIGNED_DATA_OID:
            raise DerError("it is not CMS SignedData")
        signed_data = der_inside(der, der_inside(der, content_info[1], EXPLICIT_0, "the content")[0], SEQUENCE, "it")
        encapsulated = der_inside(der, signed_data[2], SEQUENCE, "the encapContentInfo")
        if der_oid(der, encapsulated[0]) != TST_INFO_OID:
            raise DerError("what it signs is not a TSTInfo")
        octets = der_inside(der, encapsulated[1], EXPLICIT_0, "the eContent")[0]
        if octets[0] != OCTET_STRING:
            raise DerError("the eContent is not an OCTET STRING")
        tst = der[octets[1] : octets[2]]
        info = der_inside(tst, der_whole(tst), SEQUENCE, "the TSTInfo")
        imprint = der_inside(tst, info[2], SEQUENCE, "the messageImprint")
        algorithm = der_oid(tst, der_inside(tst, imprint[0], SEQUENCE, "the hashAlgorithm")[0])
        if imprint[1][0] != OCTET_STRING or info[3][0] != INTEGER or info[4][0] != GENERALIZED_TIME:
            raise DerError("its messageImprint, serialNumber or genTime is not where RFC 3161 puts it")
        serial = int.from_bytes(tst[info[3][1] : info[3][2]], "big", signed=True)
        written = tst[info[4][1] : info[4][2]].decode("ascii")
    except (IndexError, UnicodeDecodeError) as error:
        raise DerError(f"an element is missing or unreadable ({error})") from None
    parsed = re.fullmatch(r"(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d{1,6})\d*)?Z", written)
    if not parsed:
        raise DerError(f"its genTime {written!r} is not a GeneralizedTime in UTC")
    *parts, fraction = parsed.groups()
    time = datetime(*map(int, parts), int((fraction or "0").ljust(6, "0")), tzinfo=UTC)
    hashed = tst[imprint[1][1] : imprint[1][2]].hex()
    return {"algorithm": algorithm, "imprint": hashed, "serial": serial, "time": time}


def certificate_names(der: bytes) -> tuple:
    """(the subject as text, whether the certificate names itself as its issuer) of an X.509 certificate."""
    try:
        certificate = der_inside(der, der_whole(der), SEQUENCE, "the certificate")
        fields = der_inside(der, certificate[0], SEQUENCE, "the tbsCertificate")
        if fields[0][0] == EXPLICIT_0:  # the version
            fields = fields[1:]
        issuer, subject = fields[2], fields[4]
        parts = []
        for relative in der_inside(der, subject, SEQUENCE, "the subject"):
            for attribute in der_inside(der, relative, SET, "a name"):
                kind, value = der_inside(der, attribute, SEQUENCE, "a name attribute")[:2]
                raw = der[value[1] : value[2]]
                encoding = {0x0C: "utf-8", 0x1E: "utf-16-be"}.get(value[0], "latin-1")
                label = NAME_LABELS.get(der_oid(der, kind), der_oid(der, kind))
                parts.append(f"{label}={raw.decode(encoding, 'replace')}")
    except (IndexError, ValueError) as error:
        raise DerError(f"not an X.509 certificate we can read ({error})") from None
    return ", ".join(parts), der[issuer[1] : issuer[2]] == der[subject[1] : subject[2]]


def pem_certificates(text: str) -> list:
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.DOTALL)
    return [base64.b64decode("".join(block.split()), validate=True) for block in blocks]


def fingerprint(der: bytes) -> str:
    """A SHA-256 fingerprint as openssl and most authorities print it (AB:CD:…)."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def read_json(package: Package, path: str, problems: list):
    try:
        return json.loads(package.read_text(path))
    except (Unreadable, ValueError) as error:
        problems.append(str(error) if isinstance(error, Unreadable) else f"{path}: not readable as JSON ({error}).")
        return None


def read_bytes(package: Package, path: str) -> bytes:
    with package.open(path) as handle:
        return handle.read()


def canonical_moment(text) -> datetime:
    """A time as Slid writes it (2026-03-01T09:30:00.000000Z)."""
    return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def check_timestamps(package: Package, evidence: Evidence, problems: list, findings: Findings) -> None:
    """Each token in data/timestamps/ stamps its file's SHA-256, is the token its item's chain of custody
    recorded ("timestamped" entries name the SHA-256 of the token's bytes), agrees with the index; each
    token the chains record is there; and, where openssl is present, each signature holds."""
    tokens_in_package = [path for path in package.paths if TOKEN_FILE.fullmatch(path)]
    certificates_in_package = [path for path in package.paths if CERTIFICATE_FILE.fullmatch(path)]
    recorded = {ern: evidence.recorded(ern, "timestamped") for ern in evidence.chains}
    index = read_json(package, TIMESTAMP_INDEX, problems) if TIMESTAMP_INDEX in package.paths else None
    if index is None and TIMESTAMP_INDEX not in package.paths:
        if tokens_in_package or certificates_in_package or any(recorded.values()):
            problems.append(f"{TIMESTAMP_INDEX} is missing.")
    entries = index.get("tokens") if isinstance(index, dict) else []
    if not isinstance(entries, list):
        problems.append(f'{TIMESTAMP_INDEX}: its "tokens" is not a list.')
        entries = []
    checked, found, listed, named_certificates = [], {}, set(), set()
    for number, entry in enumerate(entries, start=1):
        if isinstance(entry, dict):
            if isinstance(entry.get("token"), str) and entry["token"] in listed:
                problems.append(f"{TIMESTAMP_INDEX} lists {entry.get('token')} more than once.")
                continue
            listed.add(entry.get("token"))
            certificates, root = listed_certificates(entry)
            named_certificates.update([*certificates, root])
        token = _checked_token(package, evidence, entry, number, problems)
        if token is not None:
            found.setdefault(token["ern"], set()).add(token["token_sha256"])
            checked.append(token)
    for path in tokens_in_package:
        if path not in listed:
            problems.append(f"{path}: a timestamp token that {TIMESTAMP_INDEX} does not list.")
    for path in certificates_in_package:
        if path not in named_certificates:
            problems.append(f"{path}: a certificate no timestamp token in {TIMESTAMP_INDEX} names.")
    for ern, details in sorted(recorded.items()):
        for stamped in details:
            if stamped.get("token_sha256") not in found.get(ern, set()):
                problems.append(
                    f"{ern}: its chain of custody records a timestamp token (by {stamped.get('tsa')}, serial "
                    f"{stamped.get('serial')}, {stamped.get('time')}) that is not in the package."
                )
    if not checked:
        findings.not_checked.append(
            "timestamps: no item in this package carries an RFC 3161 timestamp token"
            + (f" ({TIMESTAMP_INDEX} says why, item by item)." if TIMESTAMP_INDEX in package.paths else ".")
        )
        return
    held = sum(1 for token in checked if token["holds"])
    findings.checked.append(
        f"{len(checked)} RFC 3161 timestamp token(s) (data/timestamps/): that the message imprint of each, read "
        "from the token itself, is the SHA-256 of its evidence file, and that each is a token its item's chain of "
        f"custody recorded: {_held(held, len(checked))}."
    )
    _check_token_signatures(package, checked, problems, findings)


def listed_certificates(entry: dict) -> tuple:
    """(the certificates an index entry names, signer first; its root, or None)."""
    certificates = entry.get("certificates") if isinstance(entry.get("certificates"), list) else []
    root = entry.get("root") if isinstance(entry.get("root"), str) else None
    return [c for c in certificates if isinstance(c, str)], root


def _checked_token(package: Package, evidence: Evidence, entry, number: int, problems: list):
    """One token of the index, checked without openssl; None if it cannot be read at all."""
    where = f"{TIMESTAMP_INDEX}, token {number}"
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        problems.append(f'{where}: not an entry with a "token".')
        return None
    path = entry["token"]
    if not TOKEN_FILE.fullmatch(path):
        problems.append(f"{where}: {path!r} is not where a package keeps a token (data/timestamps/<ERN>/<name>.tst).")
        return None
    ern = path.split("/")[2]  # the item is the token's folder, as its file's and its chain's
    certificates, root = listed_certificates(entry)
    if path not in package.paths:
        problems.append(f"{path} is listed in {TIMESTAMP_INDEX} but missing.")
        return None
    der = read_bytes(package, path)
    token_sha256 = hashlib.sha256(der).hexdigest()
    file_path = evidence.file_of(ern)
    if file_path is None:
        problems.append(f"{path}: a timestamp token for {ern}, which has no file in the package.")
        return None
    file_sha256 = evidence.sha256_of.get(file_path) or package.digest(file_path, "sha256")
    chain = evidence.chains.get(ern)
    recorded = chain is None or token_sha256 in {d.get("token_sha256") for d in evidence.recorded(ern, "timestamped")}
    if not recorded:
        problems.append(
            f'{path}: not a timestamp token {ern}\'s chain of custody records (no "timestamped" entry names its '
            f"SHA-256 {token_sha256}): it was changed, or put here from elsewhere."
        )
    try:
        token = read_token(der)
    except DerError as error:
        problems.append(f"{path}: not an RFC 3161 timestamp token this script can read: {error}.")
        return None
    imprint_holds = token["algorithm"] == SHA256_OID and token["imprint"] == file_sha256
    if token["algorithm"] != SHA256_OID:
        problems.append(f"{path}: its message imprint is not a SHA-256 (algorithm {token['algorithm']}).")
    elif not imprint_holds:
        problems.append(
            f"{path}: it stamps SHA-256 {token['imprint']}, not {file_path} (SHA-256 {file_sha256}): a token "
            "for another file."
        )
    try:
        listed_time = canonical_moment(entry.get("time"))
    except ValueError:
        listed_time = None
    as_listed = entry.get("serial") == str(token["serial"]) and listed_time == token["time"]
    if not as_listed:
        problems.append(
            f"{path}: {TIMESTAMP_INDEX} gives serial {entry.get('serial')}, time {entry.get('time')}; the token "
            f"itself says serial {token['serial']}, time {token['time'].isoformat()}."
        )
    for certificate in [*certificates, root]:
        if certificate is not None and certificate not in package.paths:
            problems.append(f"{certificate} is named by {TIMESTAMP_INDEX} (for {path}) but missing.")
    return {
        **token,
        "path": path,
        "ern": ern,
        "der": der,
        "token_sha256": token_sha256,
        "digest": file_sha256,
        "imprint_holds": imprint_holds,
        "holds": imprint_holds and recorded and as_listed,
        "tsa": entry.get("tsa") if isinstance(entry.get("tsa"), str) else "an unnamed authority",
        "certificates": [c for c in certificates if c in package.paths],
        "root": root if root in package.paths else None,
    }


def _check_token_signatures(
    package: Package,
    tokens: list,
    problems: list,
    findings: Findings,
    kind: str = "timestamp token(s)",
    certificates: str = "data/timestamps/certificates/",
) -> None:
    """With openssl, each token's signature against the certificates shipped with it (in ``certificates``);
    ``kind`` names the tokens in what is printed."""
    openssl = shutil.which("openssl")
    if openssl is None:
        findings.not_checked.append(
            f"the signatures of {len(tokens)} {kind}: openssl not found: token signatures NOT checked. "
            "Install OpenSSL (the openssl program) and run this again, or check them by hand (VERIFY.txt)."
        )
        _note_roots(package, tokens, problems, findings, kind)
        return
    version, at_token_time = _openssl_abilities(openssl)
    verified, failed, without_root = 0, 0, []
    with tempfile.TemporaryDirectory() as scratch:
        for number, token in enumerate(tokens, start=1):
            if not token["imprint_holds"]:
                continue  # reported: a token for another file proves nothing of this one
            if token["root"] is None:
                without_root.append(token["path"])
                continue
            said = _openssl_verify(openssl, package, token, Path(scratch) / str(number), at_token_time)
            if said is None:
                verified += 1
            else:
                failed += 1
                problems.append(
                    f"{token['path']}: its signature does not verify against the certificates shipped with it "
                    f"(openssl ts -verify said: {said})."
                )
    if without_root:
        findings.not_checked.append(
            f"the signatures of {len(without_root)} {kind} ({', '.join(without_root)}): the package "
            "ships no root certificate for them."
        )
    if verified or failed:
        when = (
            "each certificate judged as at the token's time"
            if at_token_time
            else "certificates judged as of today, since this openssl cannot judge them at the token's time"
        )
        findings.checked.append(
            f"the signatures of {verified + failed} {kind}, with openssl ts -verify ({version}; {when}): "
            f"{_held(verified, verified + failed, 'verified')}. A signature that verifies proves the token was "
            f"signed by the certificate chain shipped with it ({certificates}). Whether to trust that "
            "chain's root is your decision: compare each TSA ROOT below with the root its authority publishes."
        )
    _note_roots(package, tokens, problems, findings, kind)


def _held(held: int, of: int, verb: str = "held") -> str:
    return f"all {of} {verb}" if held == of else f"{held} of {of} {verb}, the others are PROBLEMs above"


def _openssl_abilities(openssl: str) -> tuple:
    """(openssl's version, whether its ts -verify takes -attime)."""
    try:
        # The openssl found on PATH, with arguments written here (S603).
        version = subprocess.run([openssl, "version"], capture_output=True, text=True, timeout=60)  # noqa: S603
        usage = subprocess.run([openssl, "ts", "-help"], capture_output=True, text=True, timeout=60)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return "openssl", False
    said = version.stdout.strip().split(" (Library")[0]
    return said or "openssl", "-attime" in usage.stdout + usage.stderr


def _openssl_verify(openssl: str, package: Package, token: dict, folder: Path, at_token_time: bool):
    """None if `openssl ts -verify` accepts the token for its file's SHA-256; else what it said."""
    folder.mkdir()
    (folder / "token.tst").write_bytes(token["der"])
    root = read_bytes(package, token["root"])
    (folder / "root.pem").write_bytes(root)
    # The signer's certificate is in the token; any certificate between it and the root goes in as untrusted.
    between = token["certificates"][1:]
    others = b"".join(read_bytes(package, path) for path in between if path != token["root"])
    command = [openssl, "ts", "-verify", "-digest", token["digest"], "-in", str(folder / "token.tst")]
    command += ["-token_in", "-CAfile", str(folder / "root.pem")]
    if others:
        (folder / "chain.pem").write_bytes(others)
        command += ["-untrusted", str(folder / "chain.pem")]
    if at_token_time:
        command += ["-attime", str(int(token["time"].timestamp()))]
        try:
            (root_der,) = pem_certificates(root.decode("ascii", "replace"))
            if not certificate_names(root_der)[1]:
                command.append("-partial_chain")  # the root Slid trusted is an intermediate authority
        except ValueError:
            pass  # openssl says what is wrong with it
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)  # noqa: S603 - openssl, our arguments
    except (OSError, subprocess.SubprocessError) as error:
        return f"it could not be run: {error}"
    if done.returncode == 0 and "Verification: OK" in done.stdout:
        return None
    lines = [line.strip() for line in (done.stdout + "\n" + done.stderr).splitlines() if line.strip()]
    return " / ".join(line for line in lines if "Using configuration" not in line)[:600] or "nothing"


def _note_roots(package: Package, tokens: list, problems: list, findings: Findings, kind: str) -> None:
    """The root of each token's chain: its subject and SHA-256 fingerprint, once each, whichever tokens
    (``kind``) it is the root of."""
    by_root = {}
    for token in tokens:
        if token["root"] is not None:
            by_root.setdefault(token["root"], []).append(token)
    for path, anchored in sorted(by_root.items()):
        try:
            (der,) = pem_certificates(read_bytes(package, path).decode("ascii"))
            subject, self_signed = certificate_names(der)
        except ValueError as error:
            problems.append(f"{path}: not one PEM certificate this script can read ({error}).")
            continue
        what = "" if self_signed else " (an intermediate authority Slid was configured to trust, not a root)"
        noted = findings.tsa_roots.setdefault(
            fingerprint(der), {"subject": subject + what, "paths": [], "tokens": [], "authorities": set()}
        )
        noted["paths"].append(path)
        noted["tokens"].append(f"{len(anchored)} {kind}")
        noted["authorities"].update(token["tsa"] for token in anchored)


def check_provenance(package: Package, evidence: Evidence, problems: list, findings: Findings) -> None:
    """data/provenance.json holds, for each item, the record its chain of custody's "provenance_read"
    entry holds. The Content Credentials themselves are not validated here (that needs C2PA software)."""
    recorded = {ern: evidence.recorded(ern, "provenance_read") for ern in evidence.chains}
    if PROVENANCE not in package.paths:
        if any(recorded.values()):
            problems.append(f"{PROVENANCE} is missing, but chains of custody in the package record provenance.")
        else:
            findings.not_checked.append(f"provenance: this package has no {PROVENANCE} (built before Slid added it).")
        return
    document = read_json(package, PROVENANCE, problems)
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        if document is not None:
            problems.append(f'{PROVENANCE}: its "items" is not a list.')
        return
    seen, states = set(), {}
    for number, entry in enumerate(items, start=1):
        ern = entry.get("ern") if isinstance(entry, dict) else None
        if not isinstance(ern, str):
            problems.append(f'{PROVENANCE}, item {number}: not an entry with an "ern".')
            continue
        if ern in seen:
            problems.append(f"{PROVENANCE} names {ern} more than once.")
        seen.add(ern)
        if evidence.file_of(ern) is None:
            problems.append(f"{PROVENANCE}: names {ern}, which has no file in the package.")
            continue
        record = entry.get("provenance")
        state = record.get("state") if isinstance(record, dict) else None
        states[state or "not read"] = states.get(state or "not read", 0) + 1
        if evidence.chains.get(ern) is not None and record != (recorded[ern][-1] if recorded[ern] else None):
            problems.append(
                f"{PROVENANCE}: the record of {ern} is not the one its chain of custody recorded when Slid read "
                "the file."
            )
    for ern in sorted(set(evidence.files) - seen):
        problems.append(f"{PROVENANCE} has no record of {ern}.")
    said = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    findings.checked.append(
        f"the provenance records of {len(seen)} item(s) in {PROVENANCE} are those their chains of custody "
        f"recorded ({said or 'none'})."
    )
    if any(state not in ("none", "not read") for state in states):
        findings.not_checked.append(
            "the Content Credentials (C2PA) in the files themselves: validating them again needs C2PA software "
            f"(VERIFY.txt says which); {PROVENANCE} says what Slid found when it received each file."
        )


def check_checkpoints(package: Package, evidence: Evidence, problems: list, findings: Findings) -> None:
    """data/checkpoints/: each item's inclusion proof leads from a leaf recomputed out of the item's chain of
    custody in this package to the checkpoint's root, each token over the checkpoint stamps that root (and,
    with openssl, is signed as it says), and every item has a proof or a reason why it has none."""
    here = [path for path in package.paths if path.startswith("data/checkpoints/") and path != CHECKPOINT]
    if CHECKPOINT not in package.paths:
        if here:
            problems.append(f"{CHECKPOINT} is missing, but data/checkpoints/ holds {len(here)} file(s).")
        else:
            findings.not_checked.append(
                "that each chain of custody is included in a timestamped checkpoint: this package carries no "
                "checkpoint (data/checkpoints/; packages built before Slid added them do not)."
            )
        return
    document = read_json(package, CHECKPOINT, problems)
    if not isinstance(document, dict):
        if document is not None:
            problems.append(f"{CHECKPOINT}: not a JSON object.")
        return
    not_covered = _not_covered(document, evidence, problems)
    checkpoint = _read_checkpoint(document.get("checkpoint"), problems)
    if checkpoint is None:
        for path in here:
            problems.append(f"{path}: {CHECKPOINT} names no checkpoint this file could belong to.")
        if document.get("checkpoint") is None:
            _account_for_items(evidence, {}, not_covered, problems)
            findings.not_checked.append(
                "that each chain of custody is included in a timestamped checkpoint: no checkpoint covered the "
                f"items of this package when Slid built it ({CHECKPOINT} says why, item by item)."
            )
        return
    listed_tokens = _listed_files(document, "tokens", "token", CHECKPOINT_TOKEN_FILE, here, problems)
    listed_proofs = _listed_files(document, "proofs", "proof", PROOF_FILE, here, problems)
    tokens = [_checked_checkpoint_token(package, entry, checkpoint, problems) for entry in listed_tokens]
    tokens = [token for token in tokens if token is not None]
    named = set()
    for entry in listed_tokens:
        certificates, root = listed_certificates(entry)
        named.update([*certificates, root])
    for path in here:
        if CHECKPOINT_CERTIFICATE_FILE.fullmatch(path) and path not in named:
            problems.append(f"{path}: a certificate no checkpoint token in {CHECKPOINT} names.")
    proved = {}
    for entry in listed_proofs:
        ern = PurePosixPath(entry["proof"]).stem  # the item is the proof's name, as its chain's
        if entry["proof"] not in package.paths:
            problems.append(f"{entry['proof']} is listed in {CHECKPOINT} but missing.")
        elif ern in proved:
            problems.append(f"{CHECKPOINT} lists a proof of {ern} more than once.")
        else:
            proved[ern] = _checked_inclusion_proof(package, evidence, entry["proof"], ern, checkpoint, problems)
    _account_for_items(evidence, proved, not_covered, problems)
    _report_checkpoint(package, document, checkpoint, tokens, proved, not_covered, problems, findings)


def _read_checkpoint(described, problems: list):
    """checkpoint.json's "checkpoint" (id, time, root, tree_size), or None (reported unless it is null)."""
    if described is None:
        return None
    fields = described if isinstance(described, dict) else {}
    root, size = fields.get("root"), fields.get("tree_size")
    try:
        time = canonical_moment(fields.get("time"))
    except ValueError:
        time = None
    if not (is_hex(root, 32) and isinstance(size, int) and size >= 1 and time and isinstance(fields.get("id"), int)):
        problems.append(
            f'{CHECKPOINT}: its "checkpoint" is not an id, a time, a root (64 hexadecimal digits) and a tree size.'
        )
        return None
    return {"id": fields["id"], "time": time, "root": root, "tree_size": size}


def is_hex(value, size: int) -> bool:
    """Whether ``value`` is ``size`` bytes written as lower-case hexadecimal, as Slid writes hashes."""
    return isinstance(value, str) and re.fullmatch(f"[0-9a-f]{{{2 * size}}}", value) is not None


def _listed_files(document: dict, key: str, field: str, pattern, here: list, problems: list) -> list:
    """The entries of checkpoint.json's ``key`` that name a file of the kind ``pattern`` matches, each once;
    and every such file in the package must be named."""
    entries = document.get(key)
    if not isinstance(entries, list):
        problems.append(f'{CHECKPOINT}: its "{key}" is not a list.')
        entries = []
    listed, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        path = entry.get(field) if isinstance(entry, dict) else None
        if not isinstance(path, str) or not pattern.fullmatch(path):
            problems.append(f'{CHECKPOINT}, {key} {number}: not an entry with a "{field}" in data/checkpoints/.')
        elif path in seen:
            problems.append(f"{CHECKPOINT} lists {path} more than once.")
        else:
            seen.add(path)
            listed.append(entry)
    for path in here:
        if pattern.fullmatch(path) and path not in seen:
            problems.append(f"{path}: a file of data/checkpoints/ that {CHECKPOINT} does not list.")
    return listed


def _not_covered(document: dict, evidence: Evidence, problems: list) -> dict:
    """{ERN: why} of the items checkpoint.json says no checkpoint covered."""
    entries = document.get("not_covered")
    if not isinstance(entries, list):
        problems.append(f'{CHECKPOINT}: its "not_covered" is not a list.')
        return {}
    said = {}
    for number, entry in enumerate(entries, start=1):
        ern = entry.get("ern") if isinstance(entry, dict) else None
        if not isinstance(ern, str) or not isinstance(entry.get("why"), str):
            problems.append(f'{CHECKPOINT}, not_covered {number}: not an entry with an "ern" and a "why".')
        elif evidence.file_of(ern) is None:
            problems.append(f"{CHECKPOINT}: names {ern}, which has no file in the package.")
        elif ern in said:
            problems.append(f"{CHECKPOINT} names {ern} more than once.")
        else:
            said[ern] = entry["why"]
    return said


def _account_for_items(evidence: Evidence, proved: dict, not_covered: dict, problems: list) -> None:
    for ern in sorted(evidence.files):
        if ern in proved and ern in not_covered:
            problems.append(f"{CHECKPOINT} says {ern} is not covered by the checkpoint, yet gives its proof.")
        elif ern not in proved and ern not in not_covered:
            problems.append(
                f"{ern}: no inclusion proof in data/checkpoints/proofs/, and {CHECKPOINT} does not say why."
            )


def _checked_checkpoint_token(package: Package, entry: dict, checkpoint: dict, problems: list):
    """One token of checkpoint.json, checked without openssl: its imprint must be the checkpoint's root."""
    path = entry["token"]
    certificates, root = listed_certificates(entry)
    if path not in package.paths:
        problems.append(f"{path} is listed in {CHECKPOINT} but missing.")
        return None
    der = read_bytes(package, path)
    try:
        token = read_token(der)
    except DerError as error:
        problems.append(f"{path}: not an RFC 3161 timestamp token this script can read: {error}.")
        return None
    imprint_holds = token["algorithm"] == SHA256_OID and token["imprint"] == checkpoint["root"]
    if not imprint_holds:
        problems.append(
            f"{path}: it stamps {token['imprint']}, not the root of checkpoint {checkpoint['id']} "
            f"({checkpoint['root']}): the root in {CHECKPOINT} was changed, or the token is for something else."
        )
    try:
        listed_time = canonical_moment(entry.get("time"))
    except ValueError:
        listed_time = None
    if entry.get("serial") != str(token["serial"]) or listed_time != token["time"]:
        problems.append(
            f"{path}: {CHECKPOINT} gives serial {entry.get('serial')}, time {entry.get('time')}; the token itself "
            f"says serial {token['serial']}, time {token['time'].isoformat()}."
        )
    for certificate in [*certificates, root]:
        if certificate is not None and certificate not in package.paths:
            problems.append(f"{certificate} is named by {CHECKPOINT} (for {path}) but missing.")
    return {
        "path": path,
        "der": der,
        "digest": checkpoint["root"],
        "time": token["time"],
        "imprint_holds": imprint_holds,
        "tsa": entry.get("tsa") if isinstance(entry.get("tsa"), str) else "an unnamed authority",
        "certificates": [c for c in certificates if c in package.paths],
        "root": root if root in package.paths else None,
    }


def leaf_hash(label: bytes, head: bytes) -> bytes:
    """A checkpoint's leaf: SHA-256(0x00 || label || head), RFC 6962's leaf hash of label || head."""
    return hashlib.sha256(b"\x00" + label + head).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_audit_path(index: int, size: int, leaf: bytes, path: list):
    """The root that leaf ``index`` of a tree of ``size`` leaves leads to along its audit path, as RFC 9162
    §2.1.3.2 computes it; None when the path cannot be one of such a tree (too long, too short)."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(sibling, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, sibling)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def _checked_inclusion_proof(
    package: Package, evidence: Evidence, path: str, ern: str, checkpoint: dict, problems: list
):
    """True if the item's proof leads from its chain of custody to the checkpoint's root; False if it does
    not (reported); None if it cannot be checked because the chain does not hold (reported)."""
    if evidence.file_of(ern) is None:
        problems.append(f"{path}: an inclusion proof for {ern}, which has no file in the package.")
        return False
    chain = evidence.chains.get(ern)
    if chain is None:
        return None  # its chain of custody does not hold, which check_custody reported
    proof = read_json(package, path, problems)
    fields = proof if isinstance(proof, dict) else {}
    audit_path = fields.get("audit_path")
    integers = [fields.get(name) for name in ("leaf_index", "tree_size", "head_sequence", "checkpoint")]
    if not (
        all(isinstance(value, int) and not isinstance(value, bool) for value in integers)
        and is_hex(fields.get("label"), 16)
        and all(is_hex(fields.get(name), 32) for name in ("head_hash", "leaf_hash", "root"))
        and isinstance(audit_path, list)
        and all(is_hex(node, 32) for node in audit_path)
    ):
        if proof is not None:
            problems.append(
                f"{path}: not an inclusion proof this script can read (leaf_index, tree_size, checkpoint, "
                "head_sequence, label, head_hash, leaf_hash, root, audit_path)."
            )
        return False
    index, size, sequence = fields["leaf_index"], fields["tree_size"], fields["head_sequence"]
    if (fields["checkpoint"], fields["root"], size) != (checkpoint["id"], checkpoint["root"], checkpoint["tree_size"]):
        problems.append(
            f"{path}: a proof in checkpoint {fields['checkpoint']} (root {fields['root']}, {size} leaves), not in "
            f"the checkpoint {CHECKPOINT} describes (checkpoint {checkpoint['id']}, root {checkpoint['root']}, "
            f"{checkpoint['tree_size']} leaves)."
        )
        return False
    if not 1 <= sequence <= len(chain):
        problems.append(
            f"{path}: its head is entry {sequence} of {ern}'s chain of custody, which holds {len(chain)} entries."
        )
        return False
    entry = chain[sequence - 1]
    try:
        label = uuid.UUID(str(entry["evidence"])).bytes
    except ValueError:
        problems.append(f'{ern}: entry {sequence} of its chain of custody names no item id ("evidence") to prove.')
        return False
    head = bytes.fromhex(entry["entry_hash"])
    if fields["label"] != label.hex() or fields["head_hash"] != entry["entry_hash"]:
        problems.append(
            f"{path}: its leaf is label {fields['label']} and head {fields['head_hash']}, but {ern}'s chain of "
            f"custody gives label {label.hex()} (its item id) and head {entry['entry_hash']} (entry {sequence})."
        )
    leaf = leaf_hash(label, head)
    if index == 0:
        problems.append(f"{path}: leaf 0 is the audit log's, not an item's.")
        return False
    if root_from_audit_path(index, size, leaf, [bytes.fromhex(node) for node in audit_path]) == bytes.fromhex(
        checkpoint["root"]
    ):
        return True
    recorded = bytes.fromhex(fields["leaf_hash"])
    if recorded != leaf and root_from_audit_path(
        index, size, recorded, [bytes.fromhex(node) for node in audit_path]
    ) == bytes.fromhex(checkpoint["root"]):
        problems.append(
            f"{ern}: entry {sequence} of its chain of custody is not the head checkpoint {checkpoint['id']} "
            f"recorded: it gives leaf {leaf.hex()}, where the checkpoint's tree holds {fields['leaf_hash']}. The "
            "chain was changed after the checkpoint (every hash may have been recomputed: the chain can hold and "
            "still not reach the timestamped root)."
        )
    else:
        problems.append(
            f"{path}: its audit path does not lead from {ern}'s leaf (entry {sequence} of its chain of custody) "
            f"to the root of checkpoint {checkpoint['id']} ({checkpoint['root']}): the proof, the root in "
            f"{CHECKPOINT} or the chain was changed."
        )
    return False


def _report_checkpoint(
    package: Package,
    document: dict,
    checkpoint: dict,
    tokens: list,
    proved: dict,
    not_covered: dict,
    problems: list,
    findings: Findings,
) -> None:
    when = f"checkpoint {checkpoint['id']} of {checkpoint['time']:%Y-%m-%d %H:%M:%S} UTC"
    checked = [held for held in proved.values() if held is not None]
    if checked:
        findings.checked.append(
            f"{len(checked)} inclusion proof(s) (data/checkpoints/proofs/): each item's leaf recomputed from its "
            "chain of custody in this package (its id, and the entry the checkpoint recorded as its head), walked "
            f"up its audit path (RFC 9162 section 2.1.3.2) to the root of {when} ({checkpoint['tree_size']} "
            f"leaves): {_held(sum(checked), len(checked))}."
        )
    unchecked = sorted(ern for ern, held in proved.items() if held is None)
    if unchecked:
        findings.not_checked.append(
            f"the inclusion proofs of {', '.join(unchecked)}: their chains of custody do not hold (PROBLEMs above)."
        )
    if not_covered:
        findings.not_checked.append(
            f"that {len(not_covered)} item(s) are in a checkpoint: {when} does not cover them: "
            + "; ".join(f"{ern}: {why}" for ern, why in sorted(not_covered.items()))
        )
    if tokens:
        held = sum(1 for token in tokens if token["imprint_holds"])
        findings.checked.append(
            f"{len(tokens)} RFC 3161 timestamp token(s) of the checkpoint (data/checkpoints/tokens/): that the "
            f"message imprint of each, read from the token itself, is the root of {when}: "
            f"{_held(held, len(tokens))}."
        )
        _check_token_signatures(
            package, tokens, problems, findings, "checkpoint timestamp token(s)", "data/checkpoints/certificates/"
        )
    else:
        why = document.get("not_timestamped")
        findings.not_checked.append(
            f"that the root of {when} existed at a time an outside authority vouches for: the package carries no "
            f"timestamp token of it ({why if isinstance(why, str) else 'no reason given'})."
        )
    findings.checkpoint_roots.append(
        f"{checkpoint['root']} ({when}, {checkpoint['tree_size']} leaves): compare it with a root Slid published "
        "(VERIFY.txt, 'Checkpoints')."
    )


PROOF_CHECKS = (check_timestamps, check_provenance, check_checkpoints)


def check(package: Package, problems: list, findings: Findings) -> tuple:
    """Runs every check; returns (evidence files, chains, {ERN: why} of items marked corrupt)."""
    check_layout(package, problems)
    sha256_of = check_bag(package, problems)
    files = evidence_files(package)
    check_accounting(package, files, problems)
    check_register(package, files, problems)
    chains, marked_corrupt, entries = check_custody(package, sha256_of, problems)
    evidence = Evidence(files, sha256_of, entries)
    findings.checked.append(
        "the manifests (SHA-256, SHA-512), the Payload-Oxum, the tag manifest and the place of every file; "
        f"{chains} chain(s) of custody, entry by entry; each evidence file against the SHA-256 its chain "
        "recorded at receipt, and against the register."
    )
    for proof_check in PROOF_CHECKS:
        proof_check(package, evidence, problems, findings)
    try:
        info = read_bag_info(package) if "bag-info.txt" in package.paths else []
    except Unreadable:
        info = []  # check_bag reported it
    for label, value in info:
        if label == "Slid-Marked-Corrupt":
            ern, _, why = value.partition(":")
            marked_corrupt.setdefault(ern.strip(), why.strip())
    return len([p for p in sha256_of if p.startswith("data/evidence/")]), chains, marked_corrupt


def package_sha256(location: Path) -> str:
    """The line that says which SHA-256 to compare with the one Slid recorded."""
    if location.is_dir():
        return (
            f"not computed: {location} is a folder, not the package's .zip. Compute the SHA-256 of the .zip "
            "you were given (sha256sum on Linux, shasum -a 256 on macOS, certutil -hashfile FILE SHA256 on "
            "Windows), or run this script on it."
        )
    hasher = hashlib.sha256()
    with location.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            hasher.update(chunk)
    return f"{hasher.hexdigest()} ({location})"


def export_identifier(package: Package) -> str:
    try:
        info = read_bag_info(package) if package.root is not None and "bag-info.txt" in package.paths else []
    except (Unreadable, OSError, zipfile.BadZipFile):
        info = []
    return next((value for label, value in info if label == "External-Identifier"), "") or "(unknown)"


def main() -> int:
    here = Path(__file__).resolve().parent
    location = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent
    problems: list = []
    findings = Findings()
    package = Package(location, problems)
    evidence, chains, marked_corrupt = 0, 0, {}
    if package.root is not None:
        try:
            evidence, chains, marked_corrupt = check(package, problems, findings)
        except (Unreadable, zipfile.BadZipFile, OSError) as error:
            problems.append(f"The package could not be read to the end: {error}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    for ern, why in sorted(marked_corrupt.items()):
        print(f"MARKED CORRUPT BY SLID: {ern}: {why}")
    for checked in findings.checked:
        print(f"CHECKED: {checked}")
    for not_checked in findings.not_checked:
        print(f"NOT CHECKED: {not_checked}")
    for root in findings.roots:
        print(f"TSA ROOT: {root}")
    for root in findings.checkpoint_roots:
        print(f"CHECKPOINT ROOT: {root}")
    print(f"PACKAGE SHA-256: {package_sha256(location)}")
    if problems:
        print(f"VERDICT: NOT INTACT — {len(problems)} problem(s) found in {location}.")
        return 1
    verified = f"{evidence} evidence files and {chains} chains of custody verified in {location}"
    if marked_corrupt:
        count = len(marked_corrupt)
        print(
            f"VERDICT: CONSISTENT (package), but {count} item{' is' if count == 1 else 's are'} marked corrupt by "
            f"Slid: {', '.join(sorted(marked_corrupt))} — {verified}. The file of an item marked corrupt is not "
            "what its submitter sent (see the reason above and its chain of custody)."
        )
    else:
        print(f"VERDICT: CONSISTENT — {verified}.")
    # Manifests, chains and all can be recomputed by whoever changes a package; only the package's
    # SHA-256, recorded by Slid when it built it, tells Slid's package from a rebuilt one.
    print(
        "NEXT: the package agrees with itself; that alone does not show that Slid built it, since anyone "
        "may change a package and recompute its manifests. Compare the PACKAGE SHA-256 above with the "
        f"SHA-256 Slid recorded for export {export_identifier(package)} when it built it: the sha256 of that "
        "export (GET /api/v1/exports/, the export with that public_id), also the package_sha256 of the "
        "exported entry in each of its items' chains of custody in Slid (ask whoever gave you the package). "
        "Only if they are equal is this the package Slid built."
    )
    return 2 if marked_corrupt else 0


if __name__ == "__main__":
    sys.exit(main())
