#!/usr/bin/env bash
# `make run`: prepares the database and demo data, then runs web, worker and beat in the
# foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { scripts/with-env "$@"; }

run --owner python manage.py migrate --no-input -v 0  # the application's role may not alter tables
run python manage.py collectstatic --no-input -v 0
run python manage.py ensure_admin --credentials-file var/admin-credentials.txt
run python manage.py load_demo --lead admin

port=${SLID_WEB_PORT:-8000}
cat <<BANNER

Slid is starting:
  API        http://127.0.0.1:$port/api/v1/
  Health     http://127.0.0.1:$port/api/v1/health/
  API docs   http://127.0.0.1:$port/api/v1/docs/
  Admin      http://127.0.0.1:$port/admin/   (credentials in var/admin-credentials.txt)
Ctrl-C stops the web server, the worker and the scheduler; \`make stop\` stops PostgreSQL and Redis.

BANNER
export SLID_WEB_PORT=$port
mkdir -p var/run  # the scheduler's state
if [ "$(id -u)" -ne 0 ]; then
  exec scripts/with-env honcho start --no-prefix --procfile Procfile
fi
# As root, the web server, the worker and the scheduler run as an unprivileged user of their own
# (SLID_RUN_USER, `slid` by default, created if missing): a flaw in a file parser or a request handler
# must not hand over the machine. That user owns what they write (the file stores, the scheduler's
# state) and nothing else.
user=${SLID_RUN_USER:-slid}
if ! id -u "$user" >/dev/null 2>&1; then
  echo "==> Creating the system user $user, who runs Slid's processes"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
fi
as_user() { setpriv --reuid "$user" --regid "$user" --init-groups "$@"; }
if ! as_user .venv/bin/python -c 'import django' >/dev/null 2>&1; then
  cat >&2 <<WARNING
==> WARNING: running as root. The user $user cannot read this checkout or its Python
    ($(pwd), .venv/bin/python -> $(readlink -f .venv/bin/python)), for example because it is under
    /root. Clone Slid into a folder others may read (e.g. /srv/slid) and run \`make run\` there.
WARNING
  exec scripts/with-env honcho start --no-prefix --procfile Procfile
fi
files=${SLID_FILES_ROOT:-${SLID_VAR_DIR:-var}/files}
mkdir -p "$files"
for path in "$files" var/run; do
  find "$path" ! -user "$user" -exec chown "$user:$user" {} +
done
echo "==> The web server, the worker and the scheduler run as $user, not root"
exec scripts/with-env setpriv --reuid "$user" --regid "$user" --init-groups \
  honcho start --no-prefix --procfile Procfile
