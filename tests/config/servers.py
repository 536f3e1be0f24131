"""Gunicorn, started by a test the way production starts it: with config/gunicorn.py, on a free
loopback port, its settings changed only through the environment."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def gunicorn(log_path: Path, *, app: str | None = None, environment: dict[str, str] | None = None) -> Iterator[str]:
    """Yields the server's base URL; ``app`` replaces config/gunicorn.py's WSGI application."""
    port = free_port()
    env = {**os.environ, **(environment or {}), "SLID_WEB_BIND": f"127.0.0.1:{port}"}
    command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", *([app] if app else [])]
    with log_path.open("ab") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, server, name="gunicorn", timeout=30)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
