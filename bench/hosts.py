"""Benchmark of Slid across sites (opt-in: make bench-hosts; results in docs/performance.md).

1,000 photos of 100 KiB (bench/intake.py's) are uploaded over HTTP to gunicorn as deployed ("the web host")
and processed by two Celery workers, "host-a" and "host-b", each its own process group with two pool
processes and folders of its own: no two hosts share a disk. The intake store and the primary archive are
on site A's S3, the archive's replica on site B's (two moto servers); one broker (the local Redis, a queue of
the bench's own) and one database (a bench database, made anew). Reports items per second end to end
(upload started → every item archived), replication (→ every replica copy verified) and a fixity pass of
every copy on both sites (``manage.py fixity_check --all`` on host B).

``--kill-at F`` (default 0.5) kills host A (SIGKILL to its process group) once that fraction is archived;
0 kills nothing. Either way the run ends by proving nothing was lost: every item archived with a verified
copy on both sites, its custody complete with each step once, ``verify_custody`` and ``check_copies``
clean, and the objects in both buckets re-hashed here and matching their keys.

The recovery timings are shortened (``RECOVERY``; production's are in README "Configuration") so that a
killed host's items come back in seconds rather than minutes.
"""

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import use_bench_database  # noqa: E402
from bench.intake import RUN_MARK, bench_photos, start_web, upload_all, warm_up  # noqa: E402
from tests.workers.sites import (  # noqa: E402
    ARCHIVE_BUCKET,
    INTAKE_BUCKET,
    REPLICA_BUCKET,
    Sites,
    host_environment,
    objects_by_sha256,
)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "hosts"
QUEUE = "slid-bench-hosts"
RECOVERY = {
    "SLID_LEASE_SECONDS": "10",
    "SLID_SWEEP_INTERVAL_SECONDS": "5",
    "SLID_RECEIVED_STALE_SECONDS": "30",
    "SLID_BROKER_VISIBILITY_SECONDS": "30",
    "SLID_RETRY_BASE_SECONDS": "5",
    "SLID_REPLICATION_RETRY_BASE_SECONDS": "5",
}
ONCE = ("received", "hashed", "identified", "described", "archived", "verified", "replicated")


def start_host(name: str, env: dict[str, str]) -> subprocess.Popen:
    log = (WORK / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "config", "worker", "--queues", QUEUE, "--concurrency", "2",
         "--hostname", f"{name}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def wait_ready(name: str, host: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while b" ready." not in (WORK / f"{name}.log").read_bytes():
        if host.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start: see {WORK / f'{name}.log'}")
        time.sleep(0.2)


def stop_host(host: subprocess.Popen) -> None:
    if host.poll() is None:
        os.killpg(host.pid, signal.SIGTERM)
        try:
            host.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(host.pid, signal.SIGKILL)
            host.wait()


def wait_for(condition, *, timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)
    return time.perf_counter()


def account_for(ids: list[int], sha256s: set[str], sites: Sites) -> dict[str, int]:
    """Proves nothing was lost or repeated (raises if anything was); returns counts for the report."""
    from django.core.management import call_command

    from evidence.models import ArchiveCopy, CustodyEntry, EvidenceItem

    items = EvidenceItem.objects.filter(pk__in=ids)
    assert Counter(items.values_list("status", flat=True)) == {"archived": len(ids)}
    assert set(items.values_list("sha256", flat=True)) == sha256s
    assert ArchiveCopy.objects.filter(evidence_id__in=ids, state="verified").count() == 2 * len(ids)
    events = Counter(
        CustodyEntry.objects.filter(evidence_id__in=ids).values_list("evidence_id", "event_type").iterator()
    )
    for item_id in ids:
        assert all(events[item_id, event] == 1 for event in ONCE), item_id
        assert events[item_id, "fixity_check"] == 2, item_id
    call_command("verify_custody", verbosity=0)
    call_command("check_copies", verbosity=0)
    keys = {f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}": sha256 for sha256 in sha256s}
    assert objects_by_sha256(sites.a, ARCHIVE_BUCKET) == keys, "site A's archive"
    assert objects_by_sha256(sites.b, REPLICA_BUCKET) == keys, "site B's replica"
    assert objects_by_sha256(sites.a, INTAKE_BUCKET) == {}, "intake copies left"
    archived_by = Counter(
        agent.split("@")[0].removeprefix("worker:")
        for agent in CustodyEntry.objects.filter(evidence_id__in=ids, event_type="archived").values_list(
            "agent", flat=True
        )
    )
    return {
        "attempts": sum(items.values_list("attempts", flat=True)),
        "failed_entries": sum(count for (_, event), count in events.items() if event == "failed"),
        **{f"archived by {host}": count for host, count in sorted(archived_by.items())},
    }


def run(count: int, clients: int, kill_at: float) -> None:
    sites = Sites().start()
    os.environ.update(sites.environment())  # this process reads the same stores (before Django's set-up)
    os.environ["SLID_CELERY_QUEUE"] = QUEUE
    web = host_a = host_b = None
    try:
        bench_url = use_bench_database("bench_hosts", fresh=True)
        from evidence.models import ArchiveCopy, Case, CaseMembership, EvidenceItem, Role
        from evidence.services.accounts import token_issue
        from tests.factories import UserFactory

        case = Case.objects.create(reference=f"BENCH-HOSTS-{time.strftime('%Y%m%d-%H%M%S')}", title="Bench hosts")
        user = UserFactory(username="bench-hosts-investigator")
        CaseMembership.objects.create(case=case, user=user, role=Role.INVESTIGATOR)
        token = token_issue(user=user, name="bench-hosts", second_factor=False)[1]

        mark = f"bench run {time.strftime('%Y%m%d-%H%M%S')}".encode()
        assert len(mark) == len(RUN_MARK)
        photos = [path.read_bytes().replace(RUN_MARK, mark, 1) for path in bench_photos(count)]
        sha256s = {hashlib.sha256(photo).hexdigest() for photo in photos}

        def environment(name: str) -> dict[str, str]:
            folder = WORK / name
            shutil.rmtree(folder, ignore_errors=True)  # the last run's temporary copies
            return {**os.environ, "DATABASE_URL": bench_url, **RECOVERY, **host_environment(folder, sites, queue=QUEUE)}

        web, url = start_web(environment("web"), production=True)
        warm_up(url, token, clients)
        host_a, host_b = start_host("host-a", environment("host-a")), start_host("host-b", environment("host-b"))
        wait_ready("host-a", host_a)
        wait_ready("host-b", host_b)

        def archived() -> int:
            return EvidenceItem.objects.filter(case=case, status="archived").count()

        def verified_copies() -> int:
            return ArchiveCopy.objects.filter(evidence__case=case, state="verified").count()

        started = time.perf_counter()
        ids = upload_all(url, token, case.pk, photos, clients)
        uploaded = time.perf_counter() - started
        killed = None
        if kill_at:
            wait_for(lambda: archived() >= kill_at * count, timeout=1200, what="archived before the kill")
            os.killpg(host_a.pid, signal.SIGKILL)
            host_a.wait()
            killed = (time.perf_counter() - started, archived(), verified_copies() - archived())
        all_archived = wait_for(lambda: archived() == count, timeout=1800, what="all archived") - started
        all_replicated = wait_for(lambda: verified_copies() == 2 * count, timeout=1800, what="replicated") - started

        fixity_started = time.perf_counter()
        fixity = subprocess.run(
            [sys.executable, "manage.py", "fixity_check", "--all"],
            cwd=ROOT, env=environment("host-b-fixity"), capture_output=True, text=True, check=False,
        )  # fmt: skip
        fixity_seconds = time.perf_counter() - fixity_started
        if fixity.returncode != 0:
            raise RuntimeError(f"the fixity pass failed: {fixity.stdout[-2000:]} {fixity.stderr[-2000:]}")
        counts = account_for(ids, sha256s, sites)
    finally:
        for process in (host_a, host_b):
            if process is not None:
                stop_host(process)
        if web is not None:
            web.terminate()
            web.wait()
        sites.stop()

    kib = sum(len(photo) for photo in photos) / count / 1024
    print(f"\n### {count} photos of {kib:.0f} KiB across two worker hosts (two processes each), two S3 sites\n")
    print(f"Uploaded {clients} at a time in {uploaded:.1f} s ({count / uploaded:.1f}/s).")
    if killed:
        at, archived_then, replicated_then = killed
        print(f"host-a killed (SIGKILL to its process group) at {at:.1f} s, {archived_then} archived and "
              f"{replicated_then} replicated; host-b carried on alone.")  # fmt: skip
    else:
        print("No host killed.")
    print("\n| what | seconds from the first upload | items per second |\n|---|---:|---:|")
    print(f"| every item archived on site A (end to end) | {all_archived:.1f} | **{count / all_archived:.1f}** |")
    print(f"| every item's replica verified on site B | {all_replicated:.1f} | **{count / all_replicated:.1f}** |")
    mib = sum(len(photo) for photo in photos) * 2 / 1024**2
    print(
        f"\nFixity pass on host-b (`fixity_check --all`, one process): {2 * count} copies on two sites in "
        f"{fixity_seconds:.1f} s, **{count / fixity_seconds:.1f} items/s** ({2 * count / fixity_seconds:.1f} "
        f"copies/s, {mib / fixity_seconds:.1f} MiB/s)."
    )
    print(
        f"\nNothing lost: {count} items archived, a verified copy on each site, custody complete and verified, "
        f"both buckets re-hashed. " + ", ".join(f"{name}: {value}" for name, value in counts.items())
    )
    print(f"(logs in {WORK})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="uploads at a time")
    parser.add_argument("--kill-at", type=float, default=0.5, help="kill host-a once this fraction is archived")
    options = parser.parse_args()
    if not 0 <= options.kill_at < 1:
        parser.error("--kill-at: from 0 (no kill) to below 1")
    WORK.mkdir(parents=True, exist_ok=True)
    run(options.files, options.clients, options.kill_at)


if __name__ == "__main__":
    main()
