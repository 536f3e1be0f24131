"""Benchmarks of evidence intake (opt-in: make bench-intake; results in docs/performance.md).

1. Hashing: the worker's hashing step (SHA-256 and MD5 together, in parallel) on a 2 GiB file,
   against md5sum, sha256sum and openssl on the same file in the same run.
2. Memory: peak RSS of the gunicorn worker while a 2 GiB upload streams in, above its idle RSS.
3. End to end: 1,000 files of 100 KiB uploaded over HTTP and archived by one Celery worker with
   two processes; items per second.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import use_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
QUEUE = "slid-bench"


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def start_web(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--timeout", "600"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return web, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("gunicorn did not start")


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


def bench_end_to_end(count: int, env: dict, token: str, case_id: int) -> None:
    import requests

    from evidence.models import EvidenceItem

    web, url = start_web(env)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "config", "worker", "--queues", QUEUE, "--concurrency", "2",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(3)
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        started = time.perf_counter()
        ids = []
        for number in range(count):
            content = number.to_bytes(4, "big") + os.urandom(100 * 1024 - 4)
            answer = session.post(
                f"{url}/api/v1/evidence/", files={"file": (f"f{number}.bin", content)}, data={"case": case_id}
            )
            answer.raise_for_status()
            ids.append(answer.json()["id"])
        uploaded = time.perf_counter() - started
        deadline = time.monotonic() + 600
        while EvidenceItem.objects.filter(pk__in=ids, status="archived").count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError("not all items were archived in 10 minutes")
            time.sleep(0.2)
        total = time.perf_counter() - started
    finally:
        web.terminate()
        os.killpg(worker.pid, 15)
        web.wait()
        worker.wait()
    print(f"\n### End to end: {count} files of 100 KiB, one worker with two processes\n")
    print(f"Uploaded in {uploaded:.1f} s ({count / uploaded:.0f}/s); all archived after {total:.1f} s: ")
    print(f"**{count / total:.1f} items per second** end to end")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gib", type=int, default=2)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["hashing", "memory", "e2e"])
    options = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    bench_url = use_bench_database()

    from rest_framework.authtoken.models import Token

    from evidence.models import Case, CaseMembership, EvidenceItem, Role
    from tests.factories import UserFactory

    case, _ = Case.objects.get_or_create(reference="BENCH-INTAKE", defaults={"title": "Bench intake"})
    user = UserFactory(username="bench-investigator")
    CaseMembership.objects.get_or_create(case=case, user=user, defaults={"role": Role.INVESTIGATOR})
    token = Token.objects.get_or_create(user=user)[0].key
    files = WORK / "files"
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
    if options.only in (None, "e2e"):
        bench_end_to_end(options.files, env, token, case.pk)
    print(f"\n({EvidenceItem.objects.filter(case=case).count()} items in the bench case; files in {files})")
    shutil.rmtree(WORK / "files" / "intake", ignore_errors=True)


if __name__ == "__main__":
    main()
