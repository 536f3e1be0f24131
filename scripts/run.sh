#!/usr/bin/env bash
# `make run`: prepares the database and demo data, then runs web, worker and beat in the
# foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { scripts/with-env "$@"; }

run --owner python manage.py migrate --no-input -v 0  # the application's role may not alter tables
run python manage.py check_incident_locations >/dev/null  # warnings against the shipped country outline
run python manage.py collectstatic --no-input -v 0
run python manage.py ensure_admin --credentials-file var/admin-credentials.txt
run python manage.py load_demo --lead admin

port=${SLID_WEB_PORT:-8000}
cat <<BANNER

Slid is starting:
  Workspace  http://127.0.0.1:$port/   (sign in as admin; the demo case is DEMO-UA-2022)
  API        http://127.0.0.1:$port/api/v1/
  Health     http://127.0.0.1:$port/api/v1/health/
  API docs   http://127.0.0.1:$port/api/v1/docs/
  Admin      http://127.0.0.1:$port/admin/   (credentials in var/admin-credentials.txt)
Ctrl-C stops the web server, the worker and the scheduler; \`make stop\` stops them too, with PostgreSQL and Redis.

BANNER
export SLID_WEB_PORT=$port
mkdir -p var/run  # the scheduler's state
# As root: the web server, the worker and the scheduler run as an unprivileged user (scripts/as-run-user).
# Every step below execs the next, so this shell's PID becomes honcho's: `make stop` ends it by that.
echo $$ >var/run.pid
exec scripts/with-env scripts/as-run-user honcho start --no-prefix --procfile Procfile
