"""Benchmark of RFC 3161 timestamping per evidence item (opt-in: `scripts/with-env --owner python
bench/timestamps.py`; results in docs/performance.md).

Against a local TSA on 127.0.0.1 (tests/tsa.py: `openssl ts -reply`, one process per request, as the
tests use it), times what the worker does for each archived item: ask the TSA and verify the token
(evidence.services.timestamps.timestamp_digest), then record it (evidence_record_timestamps: the token
row, the custody entry, the item), on a database of its own (<name>_timestamps_bench, made anew).
A public TSA adds its network round trip (tens to hundreds of milliseconds) to the asking part.
"""

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import use_bench_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=200)
    args = parser.parse_args()
    use_bench_database("timestamps_bench", fresh=True)

    from django.conf import settings

    from evidence.agents import Agent
    from evidence.models import Case, EvidenceItem
    from evidence.services.timestamps import evidence_record_timestamps, timestamp_digest
    from tests.tsa import LocalTSA, Signer

    folder = Path(tempfile.mkdtemp(prefix="slid-tsa-bench-"))
    tsa = LocalTSA(Signer.make(folder / "trusted", "Bench TSA CA"), Signer.make(folder / "other", "Other CA"))
    settings.SLID_TSA_URLS, settings.SLID_TSA_ROOTS = [tsa.url], [str(folder / "trusted" / "ca.pem")]
    case = Case.objects.create(reference="BENCH-TSA", title="Timestamp benchmark")
    items = []
    for n in range(args.items):
        sha256 = hashlib.sha256(f"bench item {n}".encode()).hexdigest()
        items.append(
            EvidenceItem.objects.create(
                case=case,
                ern=f"BENCH-TSA-{n:06d}",
                original_filename=f"{n}.bin",
                sha256=sha256,
                size_bytes=n,
                digests={"sha256": sha256},
                archive_key=f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}",
                status="archived",
            )
        )
    agent = Agent.for_worker("bench")
    asking, recording = [], []
    try:
        for item in items:
            started = time.perf_counter()
            result = timestamp_digest(item.sha256)
            asked = time.perf_counter()
            assert evidence_record_timestamps(item_id=item.pk, result=result, agent=agent), result.summary()
            asking.append(asked - started)
            recording.append(time.perf_counter() - asked)
    finally:
        tsa.stop()
    total = [a + r for a, r in zip(asking, recording, strict=True)]
    print(f"{args.items} items timestamped against a local TSA (openssl ts -reply):")
    for name, samples in (("ask + verify", asking), ("record", recording), ("per item", total)):
        ordered = sorted(samples)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(f"  {name:13} median {statistics.median(samples) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms")
    print(f"  throughput    {len(total) / sum(total):6.1f} items/s on one worker process")


if __name__ == "__main__":
    main()
