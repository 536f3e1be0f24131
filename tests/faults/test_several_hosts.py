"""Slid across sites: two worker hosts, separate processes with folders of their own and no disk in common,
take evidence from one broker and one database; the intake and the primary archive are on site A's S3, the
replica on site B's. One host is killed (SIGKILL to its process group) while it holds an item half-way:
every item still ends archived on both sites, each copy verified, its custody complete and each step
recorded once, and a fixity pass run on the surviving host checks every copy on both sites.

A bounded version of bench/hosts.py (1,000 files; docs/performance.md): 60 files here."""

import hashlib
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from evidence.models import ArchiveCopy, CustodyEntry, EvidenceItem
from evidence.selectors.custody import custody_first_broken_link
from tests.faults.checks import FAST_RECOVERY, ONCE, seconds_until_final, status_counts, wait_until
from tests.workers.sites import (
    ARCHIVE_BUCKET,
    INTAKE_BUCKET,
    REPLICA,
    REPLICA_BUCKET,
    REPLICA_STORE,
    Sites,
    files_left,
    host_environment,
    objects_by_sha256,
)
from tests.workers.worker import ROOT, Worker, worker_environment

pytestmark = pytest.mark.django_db(transaction=True)

FILES = 60
FILE_BYTES = 64 * 1024
HOST_RECOVERY = {**FAST_RECOVERY, "SLID_REPLICATION_RETRY_BASE_SECONDS": "1", "SLID_RECEIVED_STALE_SECONDS": "5"}


@pytest.fixture
def sites(settings):
    """Both sites' S3 servers, and this process (which receives the uploads, like a web host) using them."""
    sites = Sites().start()
    try:
        settings.STORAGES = {**settings.STORAGES, **sites.storages()}
        settings.SLID_ARCHIVE_REPLICAS = [REPLICA]
        settings.SLID_ARCHIVE_MIN_COPIES = 2
        yield sites
    finally:
        sites.stop()


@pytest.fixture
def start_hosts(settings, tmp_path, own_broker, sites):
    """start_hosts() -> two worker hosts, "host-a" and "host-b", each with its own folder, started side by side."""
    started: dict[str, Worker] = {}

    def start() -> dict[str, Worker]:
        for name in ("host-a", "host-b"):
            environment = host_environment(tmp_path / name, sites, queue=settings.CELERY_TASK_DEFAULT_QUEUE)
            started[name] = Worker(tmp_path / f"{name}.log", name=name, wait=False, **HOST_RECOVERY, **environment)
        for host in started.values():
            host.wait_ready(timeout=120)
        return started

    yield start
    for host in started.values():
        host.stop()


def by_host(event_type: str, host: str):
    return CustodyEntry.objects.filter(event_type=event_type, agent__startswith=f"worker:{host}@")


def kill_while_it_holds_an_item(host: Worker, name: str, item_ids: list[int], *, timeout: float) -> list[int]:
    """Stops the host (SIGSTOP), looks for items it has examined and not yet archived, and kills it (SIGKILL to
    its process group) if it holds any; else lets it go on and looks again. Returns the items it held."""
    deadline = time.monotonic() + timeout
    while True:
        host.pause()
        held = list(
            EvidenceItem.objects.filter(pk__in=item_ids, status="processing")
            .filter(pk__in=by_host("hashed", name).values("evidence_id"))
            .values_list("pk", flat=True)
        )
        if held:
            host.kill()
            return held
        host.resume()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} held no item half-way in {timeout} s")
        time.sleep(0.1)


def test_a_worker_host_killed_mid_intake_loses_nothing_and_both_sites_hold_every_file(
    settings, sites, start_hosts, tmp_path, case_a, investigator, client_for, figures
):
    contents = [os.urandom(FILE_BYTES) for _ in range(FILES)]
    sha256s = sorted(hashlib.sha256(content).hexdigest() for content in contents)
    client = client_for(investigator)

    started = time.monotonic()
    item_ids = []
    for number, content in enumerate(contents):
        answer = client.post(
            "/api/v1/evidence/",
            {"file": SimpleUploadedFile(f"VID_{number:04d}.mp4", content), "case": case_a.pk},
            format="multipart",
        )
        assert answer.status_code == 201, answer.content
        item_ids.append(answer.json()["id"])
    uploaded = time.monotonic() - started
    # The hosts start with the uploads waiting, so that both are busy when one is killed.
    hosts = start_hosts()
    started = time.monotonic()

    # In the middle: a quarter archived, and host A holding an item between its examination and its archiving.
    wait_until(lambda: status_counts(item_ids)["archived"] >= FILES // 4, timeout=120, what="a quarter archived")
    held = kill_while_it_holds_an_item(hosts["host-a"], "host-a", item_ids, timeout=60)
    killed_at = time.monotonic()
    archived_when_killed = status_counts(item_ids)["archived"]
    assert archived_when_killed < FILES

    all_archived = seconds_until_final(item_ids, since=started, timeout=180)
    wait_until(
        lambda: ArchiveCopy.objects.filter(evidence_id__in=item_ids, state="verified").count() == 2 * FILES,
        timeout=120,
        what="every item's copy verified on both sites",
    )
    all_replicated = time.monotonic() - started

    # A fixity pass over every copy, on the surviving host, as its operator would run it.
    fixity_started = time.monotonic()
    fixity = subprocess.run(
        [sys.executable, "manage.py", "fixity_check", "--all"],
        cwd=ROOT,
        env=worker_environment(
            **host_environment(tmp_path / "host-b", sites, queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    fixity_seconds = time.monotonic() - fixity_started
    assert fixity.returncode == 0, fixity.stdout + fixity.stderr
    assert f"Checked {FILES} archived copies: all held." in fixity.stdout

    items = list(EvidenceItem.objects.filter(pk__in=item_ids).order_by("pk"))
    assert Counter(item.status for item in items) == {"archived": FILES}
    assert sorted(item.sha256 for item in items) == sha256s
    for item in items:
        events = Counter(CustodyEntry.objects.filter(evidence=item).values_list("event_type", flat=True))
        # Each step once however often a host died, a copy per site, a fixity check per copy; a failed
        # attempt's warning at most.
        assert {event: events[event] for event in ONCE} == dict.fromkeys(ONCE, 1), (item.ern, dict(events))
        # (Random bytes now and then look like a media file to libmagic, and have their provenance read.)
        assert (events["replicated"], events["fixity_check"], events["provenance_read"] <= 1) == (1, 2, True), (
            item.ern,
            dict(events),
        )
        assert set(events) <= {*ONCE, "replicated", "fixity_check", "provenance_read", "failed"}, (item.ern, events)
        assert custody_first_broken_link(item=item) is None, item.ern
        checked = item.custody.filter(event_type="fixity_check", outcome="success").values_list("details", flat=True)
        assert sorted(details["store"] for details in checked) == ["archive", REPLICA_STORE], item.ern
    call_command("verify_custody")
    call_command("check_copies")

    # Host A's items half-way were finished by host B: examined once (by A), archived by B at a later attempt.
    for item in EvidenceItem.objects.filter(pk__in=held):
        assert item.attempts >= 2, item.ern
        assert item.custody.get(event_type="hashed").agent.startswith("worker:host-a@"), item.ern
        assert item.custody.get(event_type="archived").agent.startswith("worker:host-b@"), item.ern
    archived_by = Counter(
        entry.split("@")[0]
        for entry in CustodyEntry.objects.filter(evidence_id__in=item_ids, event_type="archived").values_list(
            "agent", flat=True
        )
    )
    assert archived_by["worker:host-a"] >= 1 and archived_by["worker:host-b"] >= 1, archived_by

    # Both sites hold every file, each object's bytes matching its key (hashed here); the intake is emptied.
    keys = {f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}": sha256 for sha256 in sha256s}
    assert objects_by_sha256(sites.a, ARCHIVE_BUCKET) == keys
    assert objects_by_sha256(sites.b, REPLICA_BUCKET) == keys
    wait_until(lambda: not objects_by_sha256(sites.a, INTAKE_BUCKET), timeout=30, what="the intake bucket emptied")
    # Nothing of the evidence is left on the surviving host's own disk (its temporary copies are gone).
    assert files_left(tmp_path / "host-b") == []

    figures(
        files=FILES,
        uploaded_seconds=uploaded,
        archived_when_killed=archived_when_killed,
        items_held_by_the_killed_host=len(held),
        archived_seconds_after_hosts_ready=all_archived,
        archived_per_second=FILES / all_archived,
        replicated_seconds_after_hosts_ready=all_replicated,
        recovery_after_kill_seconds=time.monotonic() - killed_at,
        fixity_seconds=fixity_seconds,
        fixity_copies_per_second=2 * FILES / fixity_seconds,
        attempts=sum(item.attempts for item in items),
    )
