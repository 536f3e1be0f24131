"""Benchmark of court packages (opt-in: make bench-exports; results in docs/performance.md).

Archives 5 GiB of evidence (20 files of 256 MiB), then, in the same run, times Slid's export of
them against the Library of Congress' bagit.make_bag bagging copies of the same files with the
same digests (sha256, sha512); each runs in a process of its own, whose peak RSS is reported.
Both read their files from the page cache. Three rounds by default; the ratio is their median.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import use_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "exports"

BUILD = """
import os, sys, time, django
sys.path.insert(0, {root!r})
django.setup()
from workers import common, exports, fixity, processing
agent = common.worker_agent("bench")
started = time.perf_counter()
print(exports.build_export({export_id}, agent=agent))
print("SECONDS", time.perf_counter() - started)
"""
MAKE_BAG = """
import bagit, sys, time
started = time.perf_counter()
bagit.make_bag(sys.argv[1], checksums=["sha256", "sha512"])
print("SECONDS", time.perf_counter() - started)
"""


# VmHWM is the peak RSS of this process image (ru_maxrss would carry the parent's over exec).
PEAK = "\nimport re\nprint('PEAK', re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"


def run_measured(code: str, env: dict, *args: str) -> tuple[float, int, str]:
    """(seconds of the work itself, peak RSS in KiB, other output) of a Python process running ``code``."""
    result = subprocess.run(
        [sys.executable, "-c", code + PEAK, *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"The measured process failed:\n{result.stderr[-3000:]}")
    values, other = {}, []
    for line in result.stdout.splitlines():
        label, _, value = line.partition(" ")
        if label in ("SECONDS", "PEAK"):
            values[label] = float(value)
        else:
            other.append(line)
    return values["SECONDS"], int(values["PEAK"]), "\n".join(other).strip()


def read_through(paths: list[Path]) -> None:
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(16 * 1024 * 1024):
                pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--file-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    files_root = WORK / "files"
    os.environ["SLID_FILES_ROOT"] = str(files_root)  # before Django reads its settings
    bench_url = use_bench_database()

    from django.core.files import File
    from django.core.files.storage import storages

    from evidence.models import Case, CaseMembership, EvidenceItem, Role
    from evidence.package import layout as package_layout
    from evidence.services.intake import evidence_receive
    from evidence.services.packages import export_request
    from tests.factories import UserFactory
    from workers import common, processing

    case, _ = Case.objects.get_or_create(reference="BENCH-EXPORTS", defaults={"title": "Bench exports"})
    lead = UserFactory(username="bench-lead")
    CaseMembership.objects.get_or_create(case=case, user=lead, defaults={"role": Role.LEAD})
    sources = WORK / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    items = list(EvidenceItem.objects.filter(case=case, status="archived"))
    if len(items) < options.files:
        print(f"Archiving {options.files} files of {options.file_mib} MiB…", file=sys.stderr)
        for number in range(len(items), options.files):
            path = sources / f"video-{number:02d}.bin"
            with path.open("wb") as handle:
                for _ in range(options.file_mib // 64):
                    handle.write(os.urandom(64 * 1024 * 1024))
            with path.open("rb") as handle:
                item = evidence_receive(
                    actor=lead, case=case, upload=File(handle, name=path.name), original_filename=path.name
                )
            processing.process(item.pk, agent=common.worker_agent("bench"))
            path.unlink()  # archived now; keeping it would only crowd the page cache
        items = list(EvidenceItem.objects.filter(case=case, status="archived"))
    total = sum(item.size_bytes for item in items)
    env = {**os.environ, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}

    archived = [files_root / "archive" / item.archive_key for item in items]
    bag_dir = WORK / "bagit-bag"
    rounds = []
    for _ in range(options.rounds):
        # Both read their files from the page cache: each side's files are read once, untimed.
        export = export_request(actor=lead, case=case, evidence=items)
        read_through(archived)
        ours, our_peak, outcome = run_measured(BUILD.format(root=str(ROOT), export_id=export.pk), env)
        export.refresh_from_db()
        assert outcome == "ready", (outcome, export.status_reason)

        shutil.rmtree(bag_dir, ignore_errors=True)
        bag_dir.mkdir(parents=True)
        for item in items:  # the same bytes, copied: make_bag moves files into data/
            shutil.copyfile(files_root / "archive" / item.archive_key, bag_dir / item.original_filename)
        read_through(sorted(bag_dir.iterdir()))
        theirs, their_peak, _ = run_measured(MAKE_BAG, env, str(bag_dir))
        shutil.rmtree(bag_dir, ignore_errors=True)
        rounds.append((ours, our_peak, theirs, their_peak))

    gib = total / 1024**3
    print(f"\n### Export of {len(items)} files, {gib:.2f} GiB\n")
    print("| round | Slid export (s) | MiB/s | peak RSS (MiB) | bagit.make_bag (s) | MiB/s | peak RSS (MiB) | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    mib = total / 1024**2
    for number, (ours, our_peak, theirs, their_peak) in enumerate(rounds, start=1):
        print(
            f"| {number} | {ours:.1f} | {mib / ours:,.0f} | {our_peak / 1024:.0f} | {theirs:.1f} | {mib / theirs:,.0f} "
            f"| {their_peak / 1024:.0f} | {theirs / ours:.2f} |"
        )
    ratio = statistics.median(theirs / ours for ours, _, theirs, _ in rounds)
    print(f"\nThroughput ratio Slid/bagit, median of {len(rounds)}: **{ratio:.2f}** (target ≥ 1.0)")
    layout = package_layout.stored_layout(export.package_key)
    kept = storages["exports"].size(layout.structure_key) + storages["exports"].size(export.package_key)
    print(f"Package {export.size_bytes:,} bytes; the exports store keeps {kept:,} of them (structure and layout).")


if __name__ == "__main__":
    main()
