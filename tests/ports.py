"""Servers a test starts for itself on loopback: a free port, and waiting until it answers."""

import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, *, name: str, timeout: float) -> None:
    """Returns once 127.0.0.1:``port`` accepts a connection; raises if ``process`` exits first or
    ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} before it listened") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} did not listen on port {port} within {timeout} s") from None
            time.sleep(0.05)
