#!/usr/bin/env bash
# Starts or stops Slid's project-local PostgreSQL+PostGIS cluster and Redis under var/.
# Each is used only when its URL (DATABASE_URL, CELERY_BROKER_URL) is not set: then the URL of
# the local service is written to var/local.env, which scripts/with-env reads.
#
#   scripts/services.sh start | stop | status
#   scripts/services.sh roles    # the database roles only, on the server PGHOST/PGPORT/PGUSER name
#
# The database has three roles. `slid`, the cluster's superuser, is used by this script alone.
# `slid_owner` owns the database and its tables and runs migrations (DATABASE_OWNER_URL).
# `slid_app`, which the application runs as (DATABASE_URL), owns nothing: it reads and writes rows,
# and may not truncate, alter or drop a table, nor switch a trigger off. Their passwords are
# generated into var/postgres/ (password, owner-password, app-password).
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
DATABASE=${SLID_DATABASE:-slid}
OWNER_ROLE=${SLID_OWNER_ROLE:-slid_owner}
APP_ROLE=${SLID_APP_ROLE:-slid_app}
PSQL=$PG_BIN/psql
[ -x "$PSQL" ] || PSQL=psql

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
  for name in password owner-password app-password; do
    if [ ! -f "$PG_DIR/$name" ]; then
      (umask 077; new_secret > "$PG_DIR/$name")
    fi
  done
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
  if ! pg_running; then
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
    echo "==> PostgreSQL with PostGIS on 127.0.0.1:$PG_PORT (data in $PG_DIR/data)"
  fi
  # Every start brings the roles up to date, so a cluster made before they existed gets them too.
  (
    export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=slid PGPASSWORD SLID_OWNER_PASSWORD SLID_APP_PASSWORD
    PGPASSWORD=$(cat "$PG_DIR/password")
    SLID_OWNER_PASSWORD=$(cat "$PG_DIR/owner-password")
    SLID_APP_PASSWORD=$(cat "$PG_DIR/app-password")
    setup_roles --test-databases
  )
}

# The owner and application roles, the database and the privileges, on the server that PGHOST,
# PGPORT, PGUSER (a superuser) and PGPASSWORD name, with the passwords SLID_OWNER_PASSWORD and
# SLID_APP_PASSWORD. Idempotent: a second run changes nothing. With --test-databases (the local
# cluster), the owner may also create databases, for the test suite and the benchmarks.
setup_roles() {
  local owner_createdb=NOCREATEDB
  if [ "${1:-}" = --test-databases ]; then owner_createdb=CREATEDB; fi
  : "${SLID_OWNER_PASSWORD:?set SLID_OWNER_PASSWORD}" "${SLID_APP_PASSWORD:?set SLID_APP_PASSWORD}"
  local psql=("$PSQL" --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v owner="$OWNER_ROLE" -v app="$APP_ROLE"
              -v database="$DATABASE" -v owner_createdb="$owner_createdb")
  "${psql[@]}" -d postgres <<'SQL'
SELECT format('CREATE ROLE %I', name) FROM (VALUES (:'owner'), (:'app')) AS roles (name)
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEROLE %s NOREPLICATION NOBYPASSRLS', :'owner', :'owner_createdb')
 FROM pg_roles WHERE rolname = :'owner'
  AND NOT (rolcanlogin AND NOT rolsuper AND NOT rolcreaterole AND NOT rolreplication AND NOT rolbypassrls
           AND rolcreatedb = (:'owner_createdb' = 'CREATEDB')) \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS', :'app')
 FROM pg_roles WHERE rolname = :'app'
  AND NOT (rolcanlogin AND NOT rolsuper AND NOT rolcreaterole AND NOT rolcreatedb AND NOT rolreplication
           AND NOT rolbypassrls) \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'owner') FROM pg_database
 WHERE datname = :'database' AND datdba <> :'owner'::regrole \gexec
SQL
  # A password is set only when the one given does not log in (a new role, or a new password file);
  # it goes to psql through the environment, never the command line.
  local role variable
  for role in "$OWNER_ROLE" "$APP_ROLE"; do
    if [ "$role" = "$OWNER_ROLE" ]; then variable=SLID_OWNER_PASSWORD; else variable=SLID_APP_PASSWORD; fi
    if ! PGUSER=$role PGPASSWORD=${!variable} "$PSQL" --no-psqlrc -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
      "${psql[@]}" -d postgres -v role="$role" -v variable="$variable" <<'SQL'
\getenv password :variable
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') \gexec
SQL
    fi
  done
  grant_privileges "$DATABASE"
  if [ "$owner_createdb" = CREATEDB ]; then
    # Databases the test suite and the benchmarks create get PostGIS from template1: only a superuser
    # may create that extension, and the owner role that creates them is not one.
    "${psql[@]}" -d template1 -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS postgis'
    # Test databases left by a test run from before the roles existed: the owner may drop them. And
    # the owner may end the application's connections, as tests of a database outage do.
    "${psql[@]}" -d postgres <<'SQL'
SELECT format('GRANT pg_signal_backend TO %I', :'owner') WHERE NOT pg_has_role(:'owner', 'pg_signal_backend', 'MEMBER') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'owner') FROM pg_database
 WHERE datname LIKE 'test\_' || :'database' || '%' AND datdba = current_user::text::regrole \gexec
SQL
    if "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${DATABASE}_bench'" | grep -q .; then
      grant_privileges "${DATABASE}_bench"
    fi
  fi
}

# In one database: PostGIS (which only a superuser may create), everything but the extensions' own
# objects owned by the owner role, and the application role's privileges on them, now and for the
# tables and sequences the owner's migrations create later.
grant_privileges() {
  "$PSQL" --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v owner="$OWNER_ROLE" -v app="$APP_ROLE" -d "$1" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'owner') FROM pg_database
 WHERE datname = current_database() AND datdba <> :'owner'::regrole \gexec
-- Tables, views and sequences made by migrations (a column's sequence follows its table).
SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, :'owner') FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND c.relowner <> :'owner'::regrole
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.deptype IN ('e', 'a', 'i')) \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner') FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> :'owner'::regrole
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                   AND d.deptype = 'e') \gexec
-- PostgreSQL 15 already keeps PUBLIC from creating in the public schema; a database from before may not.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- Rows only: never TRUNCATE, REFERENCES or TRIGGER. SELECT on sequences lets pg_dump read them.
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', c.oid::regclass, :'app') FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND c.relowner = :'owner'::regrole
   AND NOT (has_table_privilege(:'app', c.oid, 'SELECT') AND has_table_privilege(:'app', c.oid, 'INSERT')
            AND has_table_privilege(:'app', c.oid, 'UPDATE') AND has_table_privilege(:'app', c.oid, 'DELETE')) \gexec
SELECT format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', c.oid::regclass, :'app') FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' AND c.relowner = :'owner'::regrole
   AND NOT (has_sequence_privilege(:'app', c.oid, 'USAGE') AND has_sequence_privilege(:'app', c.oid, 'SELECT')) \gexec
SELECT format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON %s FROM %I', c.oid::regclass, :'app') FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND (has_table_privilege(:'app', c.oid, 'TRUNCATE') OR has_table_privilege(:'app', c.oid, 'REFERENCES')
        OR has_table_privilege(:'app', c.oid, 'TRIGGER')) \gexec
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL
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

# Written whole to a temporary file and renamed into place, so a reader never sees half of it; left
# alone when nothing changed.
write_env_file() {
  mkdir -p "$VAR"
  local new="$ENV_FILE.new"
  (umask 077; : > "$new")
  if [ -z "${DATABASE_URL:-}" ]; then
    local server="127.0.0.1:$PG_PORT/$DATABASE"
    echo "DATABASE_URL=postgis://$APP_ROLE:$(cat "$PG_DIR/app-password")@$server" >> "$new"
    echo "DATABASE_OWNER_URL=postgis://$OWNER_ROLE:$(cat "$PG_DIR/owner-password")@$server" >> "$new"
  fi
  if [ -z "${CELERY_BROKER_URL:-}" ]; then
    echo "CELERY_BROKER_URL=redis://:$(cat "$REDIS_DIR/password")@127.0.0.1:$REDIS_PORT/0" >> "$new"
  fi
  if cmp -s "$new" "$ENV_FILE"; then rm "$new"; else mv "$new" "$ENV_FILE"; fi
}

case "${1:-}" in
  start)
    if [ -z "${DATABASE_URL:-}" ]; then start_postgres; else echo "==> Using DATABASE_URL"; fi
    if [ -z "${CELERY_BROKER_URL:-}" ]; then start_redis; else echo "==> Using CELERY_BROKER_URL"; fi
    write_env_file
    ;;
  roles)
    setup_roles
    ;;
  stop)
    # What `make run` started (scripts/run.sh), before the services it uses.
    run_pid=$(cat "$VAR/run.pid" 2>/dev/null || true)
    if [ -n "$run_pid" ] && grep -qa honcho "/proc/$run_pid/cmdline" 2>/dev/null; then
      kill -TERM "$run_pid"
      for _ in $(seq 150); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
      echo "==> The web server, the worker and the scheduler stopped"
    fi
    rm -f "$VAR/run.pid"
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
    echo "usage: $0 start|stop|status|roles" >&2
    exit 2
    ;;
esac
