#!/usr/bin/env python3
"""Checks a Slid submission package with nothing but Python 3.8 or newer.

    python3 verify.py                 # the package this script is in (its bag folder)
    python3 verify.py PACKAGE         # a bag folder, or the package's .zip

It checks that every file listed in the manifests is there with the same SHA-256 and SHA-512,
that no file is there that the manifests do not list, the Payload-Oxum, the tag manifest, that
every chain of custody holds (each entry's hash, and each entry's link to the one before), and
that every evidence file has the SHA-256 its chain of custody recorded when Slid received it.
It prints each problem and a verdict. It exits 0 when the package is intact, 1 when it is not, and
2 when the package is intact but carries evidence that Slid itself marked corrupt (an item whose
file is not what its submitter sent, included only because it was chosen by name): the verdict
names each such item and the reason.
"""

import hashlib
import json
import sys
import zipfile
from pathlib import Path, PurePosixPath

GENESIS = "0" * 64
CHAIN_FIELDS = (
    "agent", "agent_details", "detail", "details", "event_type", "evidence", "occurred_at", "outcome",
    "previous_hash", "sequence",
)  # fmt: skip
LARGEST_EXACT_INTEGER = 2**53 - 1


class Package:
    """The bag's files, read from a folder or from the zip, by path relative to the bag."""

    def __init__(self, location: Path) -> None:
        self.zip = None
        if location.is_file():
            self.zip = zipfile.ZipFile(location)
            names = [n for n in self.zip.namelist() if not n.endswith("/")]
            roots = {PurePosixPath(n).parts[0] for n in names}
            if len(roots) != 1:
                raise SystemExit("The zip should hold one bag folder.")
            self.root = roots.pop()
            self.paths = sorted(str(PurePosixPath(*PurePosixPath(n).parts[1:])) for n in names)
        else:
            self.root = location
            self.paths = sorted(str(p.relative_to(location).as_posix()) for p in location.rglob("*") if p.is_file())

    def open(self, path: str):
        if self.zip:
            return self.zip.open(f"{self.root}/{path}")
        return (self.root / path).open("rb")

    def read_text(self, path: str) -> str:
        with self.open(path) as handle:
            return handle.read().decode("utf-8")

    def digest(self, path: str, algorithm: str) -> str:
        hasher = hashlib.new(algorithm)
        with self.open(path) as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                hasher.update(chunk)
        return hasher.hexdigest()


def decode_path(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def read_manifest(package: Package, name: str) -> dict:
    entries = {}
    for line in package.read_text(name).splitlines():
        if line.strip():
            digest, path = line.split(None, 1)
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


def check_bag(package: Package, problems: list) -> dict:
    if "bagit.txt" not in package.paths:
        problems.append("bagit.txt is missing: this is not a BagIt bag.")
        return {}
    manifests = {}
    for algorithm in ("sha256", "sha512"):
        name = f"manifest-{algorithm}.txt"
        if name not in package.paths:
            problems.append(f"{name} is missing.")
            continue
        manifests[algorithm] = read_manifest(package, name)
        for path, expected in manifests[algorithm].items():
            if path not in package.paths:
                problems.append(f"{path} is listed in {name} but missing.")
            elif package.digest(path, algorithm) != expected:
                problems.append(f"{path}: its {algorithm.upper()} does not match {name}.")
    listed = set(manifests.get("sha256", {}))
    for path in package.paths:
        if path.startswith("data/") and path not in listed:
            problems.append(f"{path} is in the package but in no manifest.")
    info = read_bag_info(package)
    oxum = next((value for label, value in info if label == "Payload-Oxum"), "")
    payload = [p for p in package.paths if p.startswith("data/")]
    octets = 0
    for path in payload:
        with package.open(path) as handle:
            octets += sum(len(chunk) for chunk in iter(lambda h=handle: h.read(1024 * 1024), b""))
    if oxum != f"{octets}.{len(payload)}":
        problems.append(f"Payload-Oxum says {oxum}, the payload is {octets}.{len(payload)}.")
    if "tagmanifest-sha256.txt" in package.paths:
        for path, expected in read_manifest(package, "tagmanifest-sha256.txt").items():
            if path not in package.paths or package.digest(path, "sha256") != expected:
                problems.append(f"{path}: does not match tagmanifest-sha256.txt.")
    return manifests.get("sha256", {})


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
    chains = [p for p in package.paths if p.startswith("data/custody/") and p.endswith(".jsonl")]
    marked_corrupt = {}
    for path in chains:
        ern = PurePosixPath(path).stem
        previous, received_sha256 = GENESIS, None
        lines = [line for line in package.read_text(path).splitlines() if line.strip()]
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
                recomputed = entry_hash(entry)
            except (ValueError, KeyError) as error:
                problems.append(f"{path}, line {number}: unreadable ({error}).")
                break
            if entry["sequence"] != number:
                problems.append(f"{ern}: entry {number} is missing (found entry {entry['sequence']} in its place).")
                break
            if entry["previous_hash"] != previous:
                problems.append(f"{ern}: entry {number} does not link to the entry before it.")
                break
            if recomputed != entry["entry_hash"]:
                problems.append(f"{ern}: entry {number} was changed after it was written (its hash differs).")
                break
            received_sha256 = received_sha256 or sha256_at_receipt(entry)
            if entry["event_type"] == "corrupt":
                marked_corrupt[ern] = entry["detail"]
            previous = entry["entry_hash"]
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


def main() -> int:
    here = Path(__file__).resolve().parent
    location = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent
    package = Package(location)
    problems: list = []
    sha256_of = check_bag(package, problems)
    chains, marked_corrupt = check_custody(package, sha256_of, problems)
    if "bag-info.txt" in package.paths:
        for label, value in read_bag_info(package):
            if label == "Slid-Marked-Corrupt":
                ern, _, why = value.partition(":")
                marked_corrupt.setdefault(ern.strip(), why.strip())
    evidence = len([p for p in sha256_of if p.startswith("data/evidence/")])
    for problem in problems:
        print(f"PROBLEM: {problem}")
    for ern, why in sorted(marked_corrupt.items()):
        print(f"MARKED CORRUPT BY SLID: {ern}: {why}")
    if problems:
        print(f"VERDICT: NOT INTACT — {len(problems)} problem(s) found in {location}.")
        return 1
    verified = f"{evidence} evidence files and {chains} chains of custody verified in {location}"
    if marked_corrupt:
        count = len(marked_corrupt)
        print(
            f"VERDICT: INTACT (package), but {count} item{' is' if count == 1 else 's are'} marked corrupt by Slid: "
            f"{', '.join(sorted(marked_corrupt))} — {verified}. The package is as Slid built it; the file of an "
            "item marked corrupt is not what its submitter sent (see the reason above and its chain of custody)."
        )
        return 2
    print(f"VERDICT: INTACT — {verified}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
