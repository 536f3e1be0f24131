#!/usr/bin/env python3
"""Checks a Slid submission package with nothing but Python 3.8 or newer.

    python3 verify.py                 # the package this script is in (its bag folder)
    python3 verify.py PACKAGE         # a bag folder, or the package's .zip

It checks that every file listed in the manifests is there with the same SHA-256 and SHA-512,
that no file is there that the manifests do not list, the Payload-Oxum, the tag manifest, that
every chain of custody holds (each entry's hash, and each entry's link to the one before), and
that every evidence file has the SHA-256 its chain of custody recorded when Slid received it.
It prints each problem and a verdict, and exits 0 when the package is intact, 1 when it is not.
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
    info = dict(
        line.split(":", 1) for line in package.read_text("bag-info.txt").splitlines() if ":" in line and line[0] != " "
    )
    oxum = info.get("Payload-Oxum", "").strip()
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


def entry_hash(entry: dict) -> str:
    fields = {name: entry[name] for name in CHAIN_FIELDS}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_custody(package: Package, sha256_of: dict, problems: list) -> int:
    chains = [p for p in package.paths if p.startswith("data/custody/") and p.endswith(".jsonl")]
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
            if entry["event_type"] == "hashed":
                received_sha256 = entry["details"]["digests"]["sha256"]
            previous = entry["entry_hash"]
        files = [p for p in sha256_of if p.startswith(f"data/evidence/{ern}/")]
        for file_path in files:
            if received_sha256 and sha256_of[file_path] != received_sha256:
                problems.append(f"{file_path}: not the file Slid received (SHA-256 {received_sha256}).")
    return len(chains)


def main() -> int:
    here = Path(__file__).resolve().parent
    location = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent
    package = Package(location)
    problems: list = []
    sha256_of = check_bag(package, problems)
    chains = check_custody(package, sha256_of, problems)
    evidence = len([p for p in sha256_of if p.startswith("data/evidence/")])
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if problems:
        print(f"VERDICT: NOT INTACT — {len(problems)} problem(s) found in {location}.")
        return 1
    print(f"VERDICT: INTACT — {evidence} evidence files and {chains} chains of custody verified in {location}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
