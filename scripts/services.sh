#!/usr/bin/env bash
# Starts or stops Slid's project-local PostgreSQL+PostGIS cluster and Redis under var/.
# Each is used only when its URL (DATABASE_URL, CELERY_BROKER_URL) is not set: then the URL of
# the local service is written to var/local.env, which scripts/with-env reads.
#
#   scripts/services.sh start | stop | status
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR="$ROOT/var"
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR="$VAR/postgres"
PG_PORT=${SLID_LOCAL_PG_PORT:-54329}
REDIS_DIR="$VAR/redis"
REDIS_PORT=${SLID_LOCAL_REDIS_PORT:-63799}
ENV_FILE="$VAR/local.env"

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
if [ "$(id -u)" -eq 0 ]; then
  as_owner() { runuser -u postgres -- "$@"; }
  PG_OWNER=postgres
else
  as_owner() { "$@"; }
  PG_OWNER=$(id -un)
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
new_secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=' ; }

pg_running() { [ -f "$PG_DIR/data/PG_VERSION" ] && as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; }
redis_running() { [ -f "$REDIS_DIR/redis.pid" ] && kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; }

start_postgres() {
  mkdir -p "$PG_DIR" "$VAR/log"
  if [ ! -f "$PG_DIR/password" ]; then
    (umask 077; new_secret > "$PG_DIR/password")
  fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    echo "==> Creating the local PostgreSQL cluster in $PG_DIR/data"
    chown "$PG_OWNER" "$PG_DIR" "$PG_DIR/password"
    if ! as_owner test -w "$PG_DIR"; then
      echo "The user '$PG_OWNER' cannot write to $PG_DIR: a folder above it is not open to that user." >&2
      echo "Clone Slid under a folder other users can enter (e.g. /srv or /opt), or set DATABASE_URL." >&2
      exit 1
    fi
    as_owner "$PG_BIN/initdb" --pgdata "$PG_DIR/data" --username slid --pwfile "$PG_DIR/password" \
      --auth-host scram-sha-256 --auth-local scram-sha-256 --encoding UTF8 --locale C.UTF-8 >/dev/null
  fi
  if pg_running; then return; fi
  if port_in_use "$PG_PORT"; then
    echo "Port $PG_PORT is taken by another program; choose another with SLID_LOCAL_PG_PORT=…" >&2
    exit 1
  fi
  touch "$VAR/log/postgres.log" && chown "$PG_OWNER" "$VAR/log/postgres.log"
  # initdb's 128 MB of shared buffers is sized for a small machine; take a quarter of the memory,
  # at most 4 GiB, so spatial queries over a million incidents read from memory.
  local memory_mb buffers_mb
  memory_mb=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
  buffers_mb=$((memory_mb / 4 > 4096 ? 4096 : (memory_mb / 4 < 128 ? 128 : memory_mb / 4)))
  as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$VAR/log/postgres.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='' -c shared_buffers=${buffers_mb}MB \
        -c effective_cache_size=$((memory_mb / 2))MB" >/dev/null
  local password
  password=$(cat "$PG_DIR/password")
  if ! PGPASSWORD="$password" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U slid -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'slid'" | grep -q 1; then
    PGPASSWORD="$password" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U slid slid
  fi
  echo "==> PostgreSQL with PostGIS on 127.0.0.1:$PG_PORT (data in $PG_DIR/data)"
}

start_redis() {
  mkdir -p "$REDIS_DIR" "$VAR/log"
  if [ ! -f "$REDIS_DIR/password" ]; then
    (umask 077; new_secret > "$REDIS_DIR/password")
  fi
  if redis_running; then return; fi
  if port_in_use "$REDIS_PORT"; then
    echo "Port $REDIS_PORT is taken by another program; choose another with SLID_LOCAL_REDIS_PORT=…" >&2
    exit 1
  fi
  # The password goes in through a config file, not the command line that `ps` shows.
  (umask 077; printf 'requirepass %s\n' "$(cat "$REDIS_DIR/password")" > "$REDIS_DIR/redis.conf")
  redis-server "$REDIS_DIR/redis.conf" --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" \
    --appendonly yes --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$VAR/log/redis.log"
  for _ in $(seq 50); do redis_running && port_in_use "$REDIS_PORT" && break; sleep 0.1; done
  echo "==> Redis on 127.0.0.1:$REDIS_PORT (data in $REDIS_DIR)"
}

write_env_file() {
  mkdir -p "$VAR"
  (umask 077; : > "$ENV_FILE")
  if [ -z "${DATABASE_URL:-}" ]; then
    echo "DATABASE_URL=postgis://slid:$(cat "$PG_DIR/password")@127.0.0.1:$PG_PORT/slid" >> "$ENV_FILE"
  fi
  if [ -z "${CELERY_BROKER_URL:-}" ]; then
    echo "CELERY_BROKER_URL=redis://:$(cat "$REDIS_DIR/password")@127.0.0.1:$REDIS_PORT/0" >> "$ENV_FILE"
  fi
}

case "${1:-}" in
  start)
    if [ -z "${DATABASE_URL:-}" ]; then start_postgres; else echo "==> Using DATABASE_URL"; fi
    if [ -z "${CELERY_BROKER_URL:-}" ]; then start_redis; else echo "==> Using CELERY_BROKER_URL"; fi
    write_env_file
    ;;
  stop)
    if pg_running; then
      as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null && echo "==> PostgreSQL stopped"
    fi
    if redis_running; then
      kill "$(cat "$REDIS_DIR/redis.pid")"
      for _ in $(seq 50); do redis_running || break; sleep 0.1; done
      echo "==> Redis stopped"
    fi
    ;;
  status)
    pg_running && echo "PostgreSQL: running on 127.0.0.1:$PG_PORT" || echo "PostgreSQL: not running"
    redis_running && echo "Redis: running on 127.0.0.1:$REDIS_PORT" || echo "Redis: not running"
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
