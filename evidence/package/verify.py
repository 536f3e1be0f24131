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

It prints each problem and a verdict. It exits 0 when the package is consistent, 1 when it is not
(it was changed or damaged), and 2 when the package is consistent but carries evidence that Slid
itself marked corrupt (an item whose file is not what its submitter sent, included only because it
was chosen by name): the verdict names each such item and the reason.

A consistent package is not yet shown to be the one Slid built: anyone may change a package and
recompute everything above. So it prints the SHA-256 of the .zip it was given, to be compared with
the SHA-256 Slid recorded for the export (bag-info.txt's External-Identifier names it).
"""

import csv
import hashlib
import io
import json
import os
import re
import stat
import sys
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath

GENESIS = "0" * 64
CHAIN_FIELDS = (
    "agent", "agent_details", "detail", "details", "event_type", "evidence", "occurred_at", "outcome",
    "previous_hash", "sequence",
)  # fmt: skip
LARGEST_EXACT_INTEGER = 2**53 - 1

# What a Slid package holds, relative to its bag folder, and nothing else.
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt")
PAYLOAD_ALGORITHMS = ("sha256", "sha512")
DOCUMENTS = ("data/register.csv", "data/incidents.geojson", "data/suspects.json", "data/VERIFY.txt", "data/verify.py")
OPTIONAL_DOCUMENTS = ("data/identities.json",)
# The package's BagIt profile; packages built before Slid shipped one do not have it.
OPTIONAL_TAG_FILES = ("bagit-profile.json",)
REGISTER = "data/register.csv"
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
    parts = path.split("/")
    if path in (*TAG_FILES, *OPTIONAL_TAG_FILES, *DOCUMENTS, *OPTIONAL_DOCUMENTS):
        return False
    if len(parts) == 3 and parts[:2] == ["data", "custody"] and parts[2].endswith(".jsonl") and parts[2] != ".jsonl":
        return False
    return not (len(parts) == 4 and parts[:2] == ["data", "evidence"])


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
        rows = list(csv.reader(io.StringIO(package.read_text(REGISTER), newline="")))
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
    """Checks every chain; returns (how many chains, {ERN: why} of items whose chain marks them corrupt)."""
    chains = [p for p in package.paths if p.startswith("data/custody/") and p.endswith(".jsonl") and p.count("/") == 2]
    marked_corrupt = {}
    for path in chains:
        ern = PurePosixPath(path).stem
        previous, received_sha256, whole = GENESIS, None, True
        try:
            lines = [line for line in package.read_text(path).splitlines() if line.strip()]
        except Unreadable as error:
            problems.append(str(error))
            continue
        if not lines:
            problems.append(f"{path}: no entries.")
            continue
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
        if whole and received_sha256 is None:
            problems.append(
                f"{ern}: its chain of custody records no SHA-256 of the file as Slid received it, so the file "
                "cannot be checked against it."
            )
        files = [p for p in sha256_of if p.startswith(f"data/evidence/{ern}/")]
        for file_path in files:
            if received_sha256 and sha256_of[file_path] != received_sha256:
                problems.append(f"{file_path}: not the file Slid received (SHA-256 {received_sha256}).")
    return len(chains), marked_corrupt


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


def check(package: Package, problems: list) -> tuple:
    """Runs every check; returns (evidence files, chains, {ERN: why} of items marked corrupt)."""
    check_layout(package, problems)
    sha256_of = check_bag(package, problems)
    files = evidence_files(package)
    check_accounting(package, files, problems)
    check_register(package, files, problems)
    chains, marked_corrupt = check_custody(package, sha256_of, problems)
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
    package = Package(location, problems)
    evidence, chains, marked_corrupt = 0, 0, {}
    if package.root is not None:
        try:
            evidence, chains, marked_corrupt = check(package, problems)
        except (Unreadable, zipfile.BadZipFile, OSError) as error:
            problems.append(f"The package could not be read to the end: {error}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    for ern, why in sorted(marked_corrupt.items()):
        print(f"MARKED CORRUPT BY SLID: {ern}: {why}")
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
