"""What a backup's manifest says of the record, read with plain SQL on one connection, so that the
backup reads it inside the very snapshot pg_dump dumps, and a restore reads it again to compare:

- ``migrations``: every applied migration, ``[app, name]``, sorted;
- ``row_counts``: the rows of every table in ``public`` that no extension made;
- ``chain_heads``: each item's public id → its ERN and the sequence and hash of its last custody entry
  (``null`` for an item with no custody entry, which ``verify_custody`` reports);
- ``audit``: the head of the audit log's hash chain (``chain``: how many links, the last one's position
  and ``link_hash``, as evidence.audit_chain made them and a checkpoint records them), and the entry
  count, last id, the SHA-256 of the last entry and of the whole log, each entry hashed as JSON with
  sorted keys of its fields (below), in the order of their ids: that covers the entries not linked yet
  too (an entry is linked shortly after it is written).
"""

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import sql

from evidence.custody import canonical_time

TABLES = (
    "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
    "AND d.deptype = 'e') ORDER BY c.relname"
)
CHAIN_HEADS = (
    "SELECT i.public_id::text, i.ern, head.sequence, head.entry_hash FROM evidence_evidenceitem i "
    "LEFT JOIN LATERAL (SELECT c.sequence, c.entry_hash FROM evidence_custodyentry c WHERE c.evidence_id = i.id "
    "ORDER BY c.sequence DESC LIMIT 1) head ON true ORDER BY i.id"
)
AUDIT_ENTRIES = (
    "SELECT id, at, actor_id, case_id, action, target, details, host(source_ip) FROM evidence_auditentry ORDER BY id"
)
AUDIT_CHAIN_HEAD = (
    "SELECT (SELECT count(*) FROM evidence_auditlink), "
    "(SELECT position FROM evidence_auditlink ORDER BY position DESC LIMIT 1), "
    "(SELECT link_hash FROM evidence_auditlink ORDER BY position DESC LIMIT 1)"
)
BATCH_ROWS = 5000


def record_state(connection: psycopg.Connection) -> dict[str, Any]:
    """The migrations, row counts, chain heads and audit head, in the connection's transaction."""
    return {
        "migrations": migrations(connection),
        "row_counts": row_counts(connection),
        "chain_heads": chain_heads(connection),
        "audit": audit_head(connection),
    }


def migrations(connection: psycopg.Connection) -> list[list[str]]:
    rows = connection.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    return [[app, name] for app, name in rows]


def row_counts(connection: psycopg.Connection) -> dict[str, int]:
    counts = {}
    for (table,) in connection.execute(TABLES).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", table))
        counts[table] = connection.execute(query).fetchone()[0]
    return counts


def _streamed(connection: psycopg.Connection, query: str, name: str) -> Iterable[tuple]:
    """The rows of ``query`` from a server-side cursor: a million items never sit in memory at once."""
    with connection.cursor(name=name) as cursor:
        cursor.itersize = BATCH_ROWS
        cursor.execute(query)
        yield from cursor


def chain_heads(connection: psycopg.Connection) -> dict[str, dict[str, Any]]:
    return {
        public_id: {"ern": ern, "sequence": sequence, "entry_hash": entry_hash}
        for public_id, ern, sequence, entry_hash in _streamed(connection, CHAIN_HEADS, "slid_chain_heads")
    }


def audit_entry_bytes(row: tuple) -> bytes:
    entry_id, at, actor_id, case_id, action, target, details, source_ip = row
    fields = {
        "id": entry_id,
        "at": canonical_time(at),
        "actor": actor_id,
        "case": case_id,
        "action": action,
        "target": target,
        "details": details,
        "source_ip": source_ip,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def audit_head(connection: psycopg.Connection) -> dict[str, Any]:
    log, count, last_id, last_entry = hashlib.sha256(), 0, None, None
    for row in _streamed(connection, AUDIT_ENTRIES, "slid_audit_entries"):
        entry = audit_entry_bytes(row)
        log.update(entry + b"\n")
        count, last_id, last_entry = count + 1, row[0], entry
    links, head_position, head_link_hash = connection.execute(AUDIT_CHAIN_HEAD).fetchone()
    return {
        "chain": {"links": links, "head_position": head_position, "head_link_hash": head_link_hash},
        "entries": count,
        "last_id": last_id,
        "last_entry_sha256": hashlib.sha256(last_entry).hexdigest() if last_entry is not None else None,
        "log_sha256": log.hexdigest(),
    }
