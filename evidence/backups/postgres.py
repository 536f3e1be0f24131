"""pg_dump and pg_restore, run as the role of Django's database settings (the owner's, through
``scripts/with-env --owner`` or the compose file's backup job), with the password in the environment
of the child process, never on its command line."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connections

# pg_dump writes these lines in the script of a restore; the second is what Slid's triggers need (below).
EMPTY_SEARCH_PATH = b"SELECT pg_catalog.set_config('search_path', '', false);\n"
PUBLIC_SEARCH_PATH = b"SELECT pg_catalog.set_config('search_path', 'public, pg_catalog', false);\n"


class PostgresToolError(RuntimeError):
    pass


@dataclass(frozen=True)
class Database:
    host: str
    port: str
    name: str
    user: str
    password: str
    sslmode: str = ""

    @classmethod
    def from_settings(cls, alias: str = "default") -> "Database":
        database = connections[alias].settings_dict
        return cls(
            host=database.get("HOST") or "",
            port=str(database.get("PORT") or ""),
            name=database["NAME"],
            user=database.get("USER") or "",
            password=database.get("PASSWORD") or "",
            sslmode=(database.get("OPTIONS") or {}).get("sslmode", ""),
        )

    def environment(self) -> dict[str, str]:
        """libpq's variables for a child process (pg_dump, pg_restore, psql)."""
        named = {
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGDATABASE": self.name,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGSSLMODE": self.sslmode,
        }
        environment = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
        return {**environment, **{name: value for name, value in named.items() if value}, "PGAPPNAME": "slid-backup"}

    def connect(self, **options) -> psycopg.Connection:
        parameters = {"host": self.host, "port": self.port, "dbname": self.name, "user": self.user}
        parameters |= {"password": self.password, "sslmode": self.sslmode}
        return psycopg.connect(**{name: value for name, value in parameters.items() if value}, **options)


def tool(name: str) -> str:
    """The PostgreSQL client program: from SLID_PG_BIN_DIR (PostgreSQL 15's, as the server), else PATH."""
    folder = Path(settings.SLID_PG_BIN_DIR)
    if (folder / name).is_file():
        return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise PostgresToolError(
            f"{name} was not found in {folder} or on PATH: install postgresql-client-15 "
            "(or set SLID_PG_BIN_DIR to the folder of the server's major version)."
        )
    return found


def tool_version(name: str) -> str:
    completed = subprocess.run([tool(name), "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    return completed.stdout.strip()


def dump_command(*, snapshot: str) -> list[str]:
    """pg_dump in its custom format, to standard output, inside the exported ``snapshot``.

    - ``--no-comments``: the only comments are the extensions' own, which only their owner (the
      superuser, for PostGIS) may set again;
    - ``--exclude-table-data=public.spatial_ref_sys``: PostGIS's table, filled by the extension
      itself; the owner role may not write it, and Slid adds no spatial reference systems."""
    return [
        tool("pg_dump"),
        "--format=custom",
        f"--snapshot={snapshot}",
        "--no-comments",
        "--exclude-table-data=public.spatial_ref_sys",
        "--no-password",
    ]


def dump_chunks(database: Database, *, snapshot: str, chunk_bytes: int) -> Iterator[bytes]:
    """What pg_dump writes, in pieces as it comes; raises once it is done if pg_dump failed."""
    process = subprocess.Popen(  # noqa: S603
        dump_command(snapshot=snapshot),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=database.environment(),
    )
    assert process.stdout is not None  # noqa: S101
    try:
        while chunk := process.stdout.read(chunk_bytes):
            yield chunk
    finally:
        process.stdout.close()
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        returncode = process.wait()
    if returncode != 0:
        raise PostgresToolError(f"pg_dump failed (exit {returncode}): {stderr.strip()}")


def restore_script(dump: Path) -> Iterator[bytes]:
    """The SQL script pg_restore makes of the dump, line by line, with one change: the search path
    it sets while it restores is ``public, pg_catalog`` rather than empty. The update triggers of
    django-pghistory compare every column, a PostGIS geometry too, with ``IS DISTINCT FROM``, which
    PostgreSQL writes back without the schema of its operator; with an empty search path the
    geometry's ``=`` is not found and the trigger cannot be created again. The target database is
    empty but for its extensions, so nothing else can be picked up from ``public``. Rows (between a
    ``COPY … FROM stdin;`` and its ``\\.``) are passed through untouched."""
    process = subprocess.Popen(  # noqa: S603
        [tool("pg_restore"), "--no-owner", "--file=-", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None  # noqa: S101
    in_rows = read_to_the_end = False
    try:
        for line in process.stdout:
            if in_rows:
                in_rows = line != b"\\.\n"
            elif line.startswith(b"COPY ") and line.endswith(b" FROM stdin;\n"):
                in_rows = True
            elif line == EMPTY_SEARCH_PATH:
                line = PUBLIC_SEARCH_PATH
            yield line
        read_to_the_end = True
    finally:
        process.stdout.close()
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        returncode = process.wait()
    if read_to_the_end and returncode != 0:
        raise PostgresToolError(f"pg_restore could not read the dump (exit {returncode}): {stderr.strip()}")


def run_restore(database: Database, dump: Path) -> None:
    """Restores the custom-format ``dump`` into ``database`` in one transaction, as its role: either
    everything is restored or nothing is. The objects belong to that role (the owner); the
    application role's privileges come back with the dump's grants."""
    psql = subprocess.Popen(  # noqa: S603
        [tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--no-password", "--output=/dev/null"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=database.environment(),
    )
    assert psql.stdin is not None  # noqa: S101
    complete = False
    script = restore_script(dump)
    try:
        psql.stdin.write(b"BEGIN;\n")
        for line in script:
            psql.stdin.write(line)
        complete = True
        # COMMIT only once the whole script went through: a dump that cannot be read to its end
        # closes psql's input without it, and the transaction is rolled back.
        psql.stdin.write(b"COMMIT;\n")
    except BrokenPipeError:
        pass  # psql stopped at an error; its message is below
    finally:
        script.close()
        try:
            psql.stdin.close()
        except BrokenPipeError:
            pass
        stderr = psql.stderr.read().decode(errors="replace") if psql.stderr else ""
        returncode = psql.wait()
    if returncode != 0 or not complete:
        raise PostgresToolError(f"The restore failed and was rolled back (psql exit {returncode}): {stderr.strip()}")


def objects_in(database: Database) -> list[str]:
    """The tables and views of ``public`` that no extension made: none in an empty database."""
    with database.connect(autocommit=True) as connection:
        rows = connection.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT EXISTS ("
            "  SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
            "  AND d.deptype = 'e') ORDER BY c.relname"
        ).fetchall()
    return [name for (name,) in rows]


def extensions_in(database: Database) -> set[str]:
    with database.connect(autocommit=True) as connection:
        return {name for (name,) in connection.execute("SELECT extname FROM pg_extension").fetchall()}
