"""Shared set-up for benchmarks: a database of their own (<name>_bench), migrated, and Django ready."""

import os
import statistics
import time
from collections.abc import Callable

import dj_database_url
import psycopg


def use_bench_database(suffix: str = "bench", *, fresh: bool = False) -> str:
    """Points DATABASE_URL at <name>_<suffix> (created if missing; made anew if ``fresh``), sets Django
    up, migrates; returns the URL."""
    url = os.environ.get("DATABASE_URL", "postgis://slid@127.0.0.1:54329/slid")
    config = dj_database_url.parse(url)
    bench_name = f"{config['NAME']}_{suffix}"
    admin_dsn = url.replace("postgis://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        if fresh:
            connection.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{bench_name}"')
    bench_url = url.rsplit("/", 1)[0] + f"/{bench_name}"
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return bench_url


def median_ms(run: Callable[[], object], *, repeat: int) -> float:
    run()  # warm caches and connections once
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)
