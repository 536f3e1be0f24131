"""Gunicorn's settings, the one place for them: `gunicorn --config config/gunicorn.py` in the Procfile
(`make run`), the Dockerfile and docker-compose.yml.

Workers are threaded (``gthread``): each request is served in a thread of a worker process while the
worker's main loop tells the arbiter, about once a second, that it is alive. For these workers
``timeout`` is that heartbeat: a worker whose main loop has not reported for that long is killed and
replaced. It is not a limit on a request, so a 20 GiB upload or a package download over a slow link
takes as long as it needs. (The ``sync`` workers used before report only between requests, so the
arbiter killed any request that took longer than ``--timeout 300``.) tests/config/test_gunicorn.py
proves it with a response that streams for longer than the timeout.

Every value can be changed through the environment (README, Configuration)."""

import os

from config.env import env_choice, env_int, env_str

wsgi_app = "config.wsgi:application"
bind = [env_str("SLID_WEB_BIND", f"127.0.0.1:{env_int('SLID_WEB_PORT', 8000)}")]
# ``sync`` is accepted only to show, in the tests, what the threaded workers fixed (with threads=1:
# gunicorn turns sync workers with more threads into gthread ones).
worker_class = env_choice("SLID_WEB_WORKER_CLASS", "gthread", ("gthread", "sync"))
workers = env_int("SLID_WEB_WORKERS", 2)
# Requests served at once by each worker; each thread keeps a database connection of its own.
threads = env_int("SLID_WEB_THREADS", 8)
timeout = env_int("SLID_WEB_TIMEOUT", 60)
# On a restart, requests still running get this long to finish before their worker is stopped.
graceful_timeout = env_int("SLID_WEB_GRACEFUL_TIMEOUT", 60)
keepalive = 5
accesslog = "-"
# gunicorn's control socket is not used; its default path ($HOME/.gunicorn/gunicorn.ctl) would be
# shared by every gunicorn of the user, and the image's $HOME (/app) is not writable.
control_socket_disable = True
# The heartbeat is a file's timestamp; in memory it cannot stall on a slow or full disk (a
# container's /tmp may be an overlay file system).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - a directory, not a file name
