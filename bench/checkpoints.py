"""Benchmark of checkpoints with 1,000,000 evidence items: building one (the tree must be built in under a
minute), and an inclusion proof of one item (under 10 ms).

    make bench-checkpoints    # or: scripts/with-env --owner python bench/checkpoints.py --items 1000000

Loads the items into the database <name>_checkpoints_bench with plain SQL (copies of one item made with the
ORM, two custody entries each, with random hashes: the build reads heads, it does not recompute chains), then
times checkpoint_build() twice (the first records every leaf; the second, after 1% of the chains grew, only
those) and the proof (evidence.selectors.checkpoints.inclusion_proof) of items spread over the tree.
Results are recorded in docs/performance.md ("Checkpoints").
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import median_ms, use_bench_database  # noqa: E402


def load(items: int) -> None:
    from django.db import connection

    from evidence.models import EvidenceItem
    from tests.factories import CaseFactory

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM evidence_evidenceitem")
        if cursor.fetchone()[0] >= items:
            return
    case = CaseFactory(reference="BENCH-CHECKPOINTS")
    template = EvidenceItem.objects.create(case=case, ern="BENCH-CHECKPOINTS-000000", original_filename="a.txt")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'evidence_evidenceitem' "
            "AND column_name NOT IN ('id', 'public_id', 'ern', 'sha256') ORDER BY ordinal_position"
        )
        columns = [name for (name,) in cursor.fetchall()]
        copied = ", ".join(columns)
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO evidence_evidenceitem (public_id, ern, sha256, {copied}) "  # noqa: S608 - column names
            f"SELECT gen_random_uuid(), 'BENCH-CHECKPOINTS-' || lpad(n::text, 7, '0'), "
            f"md5(n::text) || md5((n + 1)::text), {copied} "
            "FROM evidence_evidenceitem, generate_series(1, %s) AS n WHERE id = %s",
            [items - 1, template.pk],
        )
        cursor.execute(
            """INSERT INTO evidence_custodyentry (evidence_id, sequence, event_type, outcome, detail, details, agent,
                   agent_details, occurred_at, previous_hash, entry_hash, version)
               SELECT item.id, s, 'received', 'success', '', '{}', 'bench', '{}', now(), repeat('0', 64),
                      md5(random()::text) || md5(item.id::text || '-' || s::text), 2
               FROM evidence_evidenceitem AS item, generate_series(1, 2) AS s"""
        )
        cursor.execute("ANALYZE evidence_evidenceitem; ANALYZE evidence_custodyentry")
    print(f"loaded {items:,} items and {2 * items:,} custody entries in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    options = parser.parse_args()
    use_bench_database("checkpoints_bench")
    from django.db import connection

    from evidence.models import EvidenceItem
    from evidence.selectors.checkpoints import inclusion_proof
    from evidence.services.checkpoints import checkpoint_build

    load(options.items)
    started = time.perf_counter()
    first = checkpoint_build()
    print(f"first checkpoint ({first.tree_size:,} leaves, every one recorded): {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:  # 1% of the chains grow by one entry
        cursor.execute(
            """INSERT INTO evidence_custodyentry (evidence_id, sequence, event_type, outcome, detail, details, agent,
                   agent_details, occurred_at, previous_hash, entry_hash, version)
               SELECT id, 3, 'accessed', 'success', '', '{}', 'bench', '{}', now(), repeat('0', 64),
                      md5(random()::text) || md5(id::text || '-3'), 2
               FROM evidence_evidenceitem WHERE id % 100 = 0
                 AND NOT EXISTS (SELECT 1 FROM evidence_custodyentry c WHERE c.evidence_id = id AND c.sequence = 3)"""
        )
    started = time.perf_counter()
    second = checkpoint_build()
    print(
        f"next checkpoint ({second.changed_leaves:,} leaves changed, recorded against the first): "
        f"{time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_size(changes) FROM evidence_checkpoint WHERE id IN (%s, %s) ORDER BY id",
            [first.pk, second.pk],
        )
        sizes = [size for (size,) in cursor.fetchall()]
        cursor.execute("SELECT pg_total_relation_size('evidence_checkpointtree')")
        trees = cursor.fetchone()[0]
    print(f"stored leaves: {sizes[0] / 1e6:.1f} MB, then {sizes[1] / 1e6:.2f} MB; trees kept: {trees / 1e6:.0f} MB")
    ids = list(EvidenceItem.objects.order_by("id").values_list("id", flat=True))
    picks = [EvidenceItem.objects.get(pk=item_id) for item_id in random.Random(13).sample(ids, 20)]  # noqa: S311
    times = [median_ms(lambda item=item: inclusion_proof(item=item), repeat=options.repeat) for item in picks]
    proof = inclusion_proof(item=picks[0])
    print(
        f"inclusion proof: median {sorted(times)[len(times) // 2]:.2f} ms, slowest item {max(times):.2f} ms "
        f"({len(proof.audit_path)} hashes in the path)"
    )


if __name__ == "__main__":
    main()
