"""Benchmarks of evidence intake (opt-in: make bench-intake; results in docs/performance.md).

1. Hashing: the worker's hashing step (SHA-256 and MD5 together, in parallel) on a 2 GiB file,
   against md5sum, sha256sum and openssl on the same file in the same run.
2. Memory: peak RSS of the gunicorn worker while a 2 GiB upload streams in, above its idle RSS.
3. Describe: the per-file cost of reading a photo's metadata with exiftool, one exiftool started
   per file (as before) against the exiftool the worker keeps running; and the worker's other
   file-only steps on the same photo.
4. End to end: 1,000 photos of 100 KiB (JPEG with EXIF and GPS) uploaded over HTTP (gunicorn as
   deployed, config/gunicorn.py) and archived by one Celery worker with two processes; items per
   second. ``--clients N`` uploads N at a time; ``--backlog`` uploads everything first and then
   times the worker alone; ``--profile stages`` times each step of the worker (``cprofile``: every
   function, under cProfile).
"""

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import use_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
QUEUE = "slid-bench"
# Written into each photo's EXIF and replaced, at upload, by the run's own mark of the same length:
# every run uploads bytes never archived before, without making the photos again.
RUN_MARK = b"bench run 00000000-000000"


def timed(command) -> float:
    started = time.perf_counter()
    command()
    return time.perf_counter() - started


def bench_hashing(size: int, repeat: int) -> None:
    from evidence.hashing import digest_file

    path = WORK / "hash-input.bin"
    if not path.exists() or path.stat().st_size != size:
        with path.open("wb") as handle:
            for _ in range(size // (64 * 1024 * 1024)):
                handle.write(os.urandom(64 * 1024 * 1024))
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # into the page cache

    def tool(*command: str):
        return lambda: subprocess.run([*command, str(path)], stdout=subprocess.DEVNULL, check=True)

    runs = {
        "Slid hashing step (SHA-256 + MD5, parallel)": lambda: digest_file(str(path), ["sha256", "md5"]),
        "Slid, SHA-256 alone": lambda: digest_file(str(path), ["sha256"]),
        "md5sum": tool("md5sum"),
        "sha256sum": tool("sha256sum"),
        "openssl dgst -sha256": tool("openssl", "dgst", "-sha256"),
    }
    medians = {name: statistics.median(timed(run) for _ in range(repeat)) for name, run in runs.items()}
    gib = size / 1024**3
    print(f"\n### Hashing {gib:.0f} GiB (median of {repeat}, file in the page cache)\n")
    print("| what | seconds | MiB/s |\n|---|---:|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds:.2f} | {size / 1024**2 / seconds:,.0f} |")
    ratio = medians["md5sum"] / medians["Slid hashing step (SHA-256 + MD5, parallel)"]
    print(f"\nThroughput of the hashing step against md5sum: **{ratio:.2f}** (target ≥ 0.9)")


def bench_photo(seed: int) -> bytes:
    """A distinct photo of about 100 KiB: shapes, film grain, and the EXIF a camera writes (with GPS)."""
    from PIL import Image, ImageDraw

    size = (800, 600)
    generator = random.Random(seed)
    image = Image.new("RGB", size, tuple(generator.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = generator.randrange(size[0]), generator.randrange(size[1])
        w, h = generator.randrange(20, size[0] // 2), generator.randrange(20, size[1] // 2)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(generator.randrange(256) for _ in range(3)))
    left, top = generator.randrange(size[0]), generator.randrange(size[1])
    image = Image.blend(image, _grain().crop((left, top, left + size[0], top + size[1])), 0.15)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 5D"  # Make, Model
    exif[0x010E] = RUN_MARK.decode()  # ImageDescription
    exif.get_ifd(0x8769)[0x9003] = f"2022:03:{1 + seed % 28:02d} 10:15:00"  # DateTimeOriginal
    exif.get_ifd(0x8825).update({1: "N", 2: (50.0, 32.0, 24.0 + seed % 30), 3: "E", 4: (30.0, 13.0, 48.0)})
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif)
    return buffer.getvalue()


_grain_image = None


def _grain():
    global _grain_image
    if _grain_image is None:
        from PIL import Image

        _grain_image = Image.effect_noise((1600, 1200), 24).convert("RGB")
    return _grain_image


def bench_photos(count: int) -> list[Path]:
    """The photos for the run, made once and kept in var/bench/photos."""
    folder = WORK / "photos-v1"
    folder.mkdir(exist_ok=True)
    paths = [folder / f"photo-{number:05d}.jpg" for number in range(count)]
    for number, path in enumerate(paths):
        if not path.exists():
            path.write_bytes(bench_photo(number))
    return paths


def bench_describe(repeat: int) -> None:
    """Per-file cost of the worker's file-only steps on one 100 KiB photo (median of ``repeat``)."""
    from evidence.hashing import digest_file
    from workers import describe, identify, perceptual

    path = str(bench_photos(1)[0])
    exiftool = describe.exiftool_executable()
    started = time.perf_counter()
    describe.describe_file(path, "image/jpeg", timeout=60)
    first = time.perf_counter() - started
    steps = {
        "exiftool started for each file (before)": lambda: subprocess.run(
            [exiftool, "-json", "-n", "-G", "-struct", "--", path], capture_output=True, check=True
        ),
        "describe with the exiftool kept running (now)": lambda: describe.describe_file(path, "image/jpeg", timeout=60),
        "hashing (SHA-256 + MD5)": lambda: digest_file(path, ["sha256", "md5"]),
        "identify (libmagic)": lambda: identify.identify_file(path, "photo.jpg"),
        "perceptual hash": lambda: perceptual.image_phash(path),
    }
    medians = {name: statistics.median(timed(step) for _ in range(repeat)) * 1000 for name, step in steps.items()}
    print(f"\n### Per-file cost on a {Path(path).stat().st_size / 1024:.0f} KiB photo (median of {repeat})\n")
    print("| step | ms per file | files/s on one core |\n|---|---:|---:|")
    for name, ms in medians.items():
        print(f"| {name} | {ms:.1f} | {1000 / ms:,.0f} |")
    print(f"\nThe first file, which starts the kept exiftool, took {first * 1000:.0f} ms.")
    before, now = (
        medians["exiftool started for each file (before)"],
        medians["describe with the exiftool kept running (now)"],
    )
    print(f"Describing a photo: **{before:.1f} ms → {now:.1f} ms** ({before / now:.1f}× faster)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def start_web(env: dict, *, production: bool = False) -> tuple[subprocess.Popen, str]:
    """gunicorn with one sync worker (to watch one process's memory), or as deployed (config/gunicorn.py)."""
    port = free_port()
    if production:
        command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py"]
        env = {**env, "SLID_WEB_BIND": f"127.0.0.1:{port}"}
    else:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                   "--timeout", "600"]  # fmt: skip
    web = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return web, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("gunicorn did not start")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU seconds of each process, with its children that have ended."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime
    return used


def session_pids(leader: int) -> list[int]:
    """The processes of the session a bench process leads (it and every process it started)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3]) == leader:
                    pids.append(int(entry.name))
    return pids


def database_backend_pids() -> list[int]:
    """The PostgreSQL processes serving the bench database now (the web's and the worker's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def cpu_used(web: int, worker: int | None) -> dict[str, dict[int, float]]:
    """CPU seconds used so far, process by process: the web server; the worker's main process (it
    talks to the broker), its pool processes and the tools they run; the database sessions."""
    worker_pids = session_pids(worker) if worker else []
    tools = [pid for pid in worker_pids if Path(f"/proc/{pid}/comm").read_text().strip() in ("perl", "exiftool")]
    return {
        "web": cpu_seconds(session_pids(web)),
        "worker main": cpu_seconds([worker] if worker else []),
        "worker pool": cpu_seconds([pid for pid in worker_pids if pid != worker and pid not in tools]),
        "exiftool": cpu_seconds(tools),
        "database": cpu_seconds(database_backend_pids()),
    }


def cpu_since(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """CPU seconds used between two readings; a process started meanwhile counts whole."""
    return {
        part: sum(seconds - before.get(part, {}).get(pid, 0.0) for pid, seconds in used.items())
        for part, used in after.items()
    }


def gunicorn_worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def bench_upload_memory(size: int, env: dict, token: str, case_id: int) -> None:
    path = WORK / "upload-input.bin"
    if not path.exists() or path.stat().st_size != size:
        subprocess.run(["truncate", "-s", "0", str(path)], check=True)
        with path.open("wb") as handle:
            for _ in range(size // (64 * 1024 * 1024)):
                handle.write(os.urandom(64 * 1024 * 1024))
    web, url = start_web(env)
    try:
        worker = gunicorn_worker_pid(web.pid)
        curl = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Token {token}"]
        subprocess.run([*curl, f"{url}/api/v1/health/"], check=True)  # warm the worker
        idle = rss_kib(worker, "VmRSS")
        started = time.perf_counter()
        status = subprocess.run(
            [*curl, "-F", f"file=@{path}", "-F", f"case={case_id}", f"{url}/api/v1/evidence/"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        seconds = time.perf_counter() - started
        peak = rss_kib(worker, "VmHWM")
    finally:
        web.terminate()
        web.wait()
    print(f"\n### Memory of the web process during a {size / 1024**3:.0f} GiB upload\n")
    print(f"HTTP {status} in {seconds:.1f} s; idle RSS {idle / 1024:.0f} MiB, peak RSS {peak / 1024:.0f} MiB: ")
    print(f"**{(peak - idle) / 1024:.0f} MiB above idle** (target < 100 MiB)")


def bench_end_to_end(
    count: int, clients: int, env: dict, token: str, case_id: int, *, backlog: bool, profile: str | None
) -> None:
    mark = f"bench run {time.strftime('%Y%m%d-%H%M%S')}".encode()
    assert len(mark) == len(RUN_MARK)
    photos = [path.read_bytes().replace(RUN_MARK, mark, 1) for path in bench_photos(count)]
    profile_dir = None
    if profile:
        profile_dir = WORK / "profile"
        shutil.rmtree(profile_dir, ignore_errors=True)
        profile_dir.mkdir()
    web, url = start_web(env, production=True)
    worker = None
    try:
        warm_up(url, token, clients)
        if not backlog:
            worker = start_worker(env, profile, profile_dir)
            time.sleep(3)
        commits = database_commits()
        # Each process's CPU from here on: starting the processes is left out.
        before = cpu_used(web.pid, worker.pid if worker else None)
        started = time.perf_counter()
        ids = upload_all(url, token, case_id, photos, clients)
        uploaded = time.perf_counter() - started
        if backlog:
            commits = database_commits()
            worker = start_worker(env, profile, profile_dir)
            started = wait_until_first_taken(ids)
            before |= {part: used for part, used in cpu_used(web.pid, worker.pid).items() if part != "web"}
        total = wait_until_archived(ids) - started
        commits = database_commits() - commits
        cpu = cpu_since(before, cpu_used(web.pid, worker.pid))
    finally:
        web.terminate()
        if worker is not None:
            stop_worker(worker)
        web.wait()
    kib = statistics.mean(len(photo) for photo in photos) / 1024
    how = "one after another" if clients == 1 else f"{clients} at a time"
    if backlog:
        print(f"\n### The worker alone: {count} photos of {kib:.0f} KiB waiting, one worker with two processes\n")
        print(f"Uploaded {how} in {uploaded:.1f} s ({count / uploaded:.1f}/s), with no worker running. ")
        print(f"The worker then archived them in {total:.1f} s: **{count / total:.1f} items per second**")
    else:
        print(f"\n### End to end: {count} photos of {kib:.0f} KiB, uploaded {how}, one worker with two processes\n")
        print(f"Uploaded in {uploaded:.1f} s ({count / uploaded:.1f}/s); all archived after {total:.1f} s: ")
        print(f"**{count / total:.1f} items per second** end to end")
    who = "the worker" if backlog else "the web and the worker"
    print(f"\n{commits / count:.1f} database commits per item ({who}); the worker's log: {WORK / 'worker.log'}")
    # CPU time, unlike wall-clock time, does not depend on what else the two cores are doing. 40 items/s
    # on two cores leaves 50 ms of CPU per item for everything.
    per_item = {name: seconds / count * 1000 for name, seconds in cpu.items()}
    print(
        "\nCPU per item, started processes left out: "
        + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_item.items())
        + f"; **{sum(per_item.values()):.1f} ms** in all (web and database include the uploads, also with --backlog)"
    )
    if profile_dir is not None:
        print_profile(profile_dir, count)


def start_worker(env: dict, profile: str | None, profile_dir: Path | None) -> subprocess.Popen:
    options = ["--queues", QUEUE, "--concurrency", "2", "--loglevel", "WARNING",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    if profile is None:
        command = [sys.executable, "-m", "celery", "--app", "config", "worker", *options]
    else:
        command = [sys.executable, __file__, "--profiled-worker", str(profile_dir), profile, *options]
    with (WORK / "worker.log").open("wb") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_worker(worker: subprocess.Popen) -> None:
    # The main process first: a warm shutdown lets each pool process write its profile.
    os.kill(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)


def warm_up(url: str, token: str, clients: int) -> None:
    """A few requests first, so that every web process has loaded what it loads on first use."""
    import requests

    with ThreadPoolExecutor(max_workers=clients) as requests_at_once:
        list(requests_at_once.map(
            lambda _: requests.get(f"{url}/api/v1/cases/", headers={"Authorization": f"Token {token}"}, timeout=30),
            range(4 * clients),
        ))  # fmt: skip


def upload_all(url: str, token: str, case_id: int, photos: list[bytes], clients: int) -> list[int]:
    import requests

    local = threading.local()

    def upload(number: int) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Token {token}"
        answer = local.session.post(
            f"{url}/api/v1/evidence/",
            files={"file": (f"IMG_{number:05d}.jpg", photos[number], "image/jpeg")},
            data={"case": case_id},
        )
        answer.raise_for_status()
        return answer.json()["id"]

    with ThreadPoolExecutor(max_workers=clients) as uploads:
        return list(uploads.map(upload, range(len(photos))))


def wait_until_first_taken(ids: list[int]) -> float:
    """When the worker took the first item (its start-up left out)."""
    from evidence.models import EvidenceItem

    deadline = time.monotonic() + 120
    while not EvidenceItem.objects.filter(pk__in=ids).exclude(status="received").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the worker took no item in 2 minutes")
        time.sleep(0.05)
    return time.perf_counter()


def wait_until_archived(ids: list[int]) -> float:
    from evidence.models import EvidenceItem

    deadline = time.monotonic() + 600
    while EvidenceItem.objects.filter(pk__in=ids, status="archived").count() < len(ids):
        if time.monotonic() > deadline:
            raise TimeoutError("not all items were archived in 10 minutes")
        time.sleep(0.2)
    return time.perf_counter()


# The worker's steps, timed one by one with --profile stages: where processing looks each one up.
STAGES = {
    "workers.processing": [
        "process", "evidence_claim", "steps_recorded", "evidence_record_hashes", "evidence_record_identification",
        "evidence_record_description", "evidence_record_archived", "evidence_release_claim",
    ],
    "evidence.hashing": ["digest_file"],
    "workers.identify": ["identify_file"],
    "workers.describe": ["describe_file"],
    "workers.perceptual": ["image_phash"],
    "workers.archive": ["store_in_archive", "hash_archived"],
}  # fmt: skip


def run_profiled_worker(profile_dir: str, how: str, arguments: list[str]) -> None:
    """A Celery worker whose pool processes each record where their time goes, and write it down when
    they stop: under cProfile, or the wall-clock time of each of the STAGES."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    import importlib

    from celery.signals import worker_process_init, worker_process_shutdown

    from config.celery import app

    # CPU time of the process, not wall-clock: what each function costs whatever else the cores are doing.
    profiler = cProfile.Profile(time.process_time)
    spent: dict[str, list[float]] = {}

    def timed_stage(name: str, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals = spent.setdefault(name, [0, 0.0])
                totals[0] += 1
                totals[1] += time.perf_counter() - started

        return run

    def start(**_) -> None:
        if how == "cprofile":
            profiler.enable()
            return
        for module_name, names in STAGES.items():
            module = importlib.import_module(module_name)
            for name in names:
                if hasattr(module, name):
                    setattr(module, name, timed_stage(name, getattr(module, name)))

    def stop(**_) -> None:
        if how == "cprofile":
            profiler.disable()
            profiler.dump_stats(Path(profile_dir) / f"worker-{os.getpid()}.prof")
        else:
            (Path(profile_dir) / f"worker-{os.getpid()}.json").write_text(json.dumps(spent))

    worker_process_init.connect(start, weak=False)
    worker_process_shutdown.connect(stop, weak=False)
    app.worker_main(["worker", *arguments])


def print_profile(profile_dir: Path, items: int) -> None:
    """Where the worker's processes spent their time."""
    if stage_files := sorted(profile_dir.glob("worker-*.json")):
        spent: dict[str, list[float]] = {}
        for path in stage_files:
            for name, (calls, seconds) in json.loads(path.read_text()).items():
                totals = spent.setdefault(name, [0, 0.0])
                totals[0] += calls
                totals[1] += seconds
        print(f"\n### Where the worker's time went ({len(stage_files)} processes, wall-clock, per item archived)\n")
        print("| step | calls | total s | ms per item |\n|---|---:|---:|---:|")
        for name, (calls, seconds) in sorted(spent.items(), key=lambda entry: -entry[1][1]):
            print(f"| `{name}` | {calls:.0f} | {seconds:.1f} | {seconds / items * 1000:.1f} |")
        return
    files = sorted(profile_dir.glob("worker-*.prof"))
    if not files:
        print("\n(no profile was written)")
        return
    stats = pstats.Stats(*map(str, files))
    rows = [
        (cumulative, calls, f"{Path(name).relative_to(ROOT)}:{function}")
        for (name, _, function), (_, calls, _, cumulative, _) in stats.stats.items()
        if name.startswith(str(ROOT)) and "/.venv/" not in name and "/bench/" not in name
    ]
    print(f"\n### Where the worker's CPU time went ({len(files)} processes, cProfile, CPU seconds)\n")
    print("| function | calls | cumulative s | ms per call |\n|---|---:|---:|---:|")
    for cumulative, calls, name in sorted(rows, reverse=True)[:40]:
        print(f"| `{name}` | {calls} | {cumulative:.1f} | {cumulative / calls * 1000:.1f} |")


def database_commits() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gib", type=int, default=2)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=1, help="uploads at a time, end to end")
    parser.add_argument("--backlog", action="store_true", help="upload first, then time the worker alone")
    parser.add_argument(
        "--profile", choices=["stages", "cprofile"], help="where the worker's time went: its steps, or cProfile"
    )
    parser.add_argument("--only", choices=["hashing", "memory", "describe", "e2e"])
    options = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    # A database of its own, made anew: items left waiting by an earlier run (their files gone) would
    # otherwise be swept up and retried by this run's worker, and counted in its figures.
    bench_url = use_bench_database("bench_intake", fresh=True)

    from evidence.models import Case, CaseMembership, EvidenceItem, Role
    from evidence.services.accounts import token_issue
    from tests.factories import UserFactory

    # A new case for each run: each run starts from the same empty case, not from the last run's items.
    case = Case.objects.create(reference=f"BENCH-INTAKE-{time.strftime('%Y%m%d-%H%M%S')}", title="Bench intake")
    user = UserFactory(username="bench-investigator")
    CaseMembership.objects.get_or_create(case=case, user=user, defaults={"role": Role.INVESTIGATOR})
    token = token_issue(user=user, name="bench-intake", second_factor=False)[1]
    files = WORK / "files"
    shutil.rmtree(files, ignore_errors=True)  # the last run's files, which the new database knows nothing of
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "SLID_CELERY_QUEUE": QUEUE,
        "SLID_FILES_ROOT": str(files),
        "SLID_MAX_UPLOAD_BYTES": str(8 * 1024**3),
    }
    size = options.size_gib * 1024**3
    if options.only in (None, "hashing"):
        bench_hashing(size, options.repeat)
    if options.only in (None, "memory"):
        bench_upload_memory(size, env, token, case.pk)
    if options.only in (None, "describe"):
        bench_describe(max(options.repeat, 50))
    if options.only in (None, "e2e"):
        bench_end_to_end(
            options.files, options.clients, env, token, case.pk, backlog=options.backlog, profile=options.profile
        )
    print(f"\n({EvidenceItem.objects.filter(case=case).count()} items in the bench case; files in {files})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--profiled-worker"]:
        run_profiled_worker(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        main()
