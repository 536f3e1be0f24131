"""Database backups and the restore drill (issue #15 §2).

- ``crypto``: backups encrypted at rest, streamed in chunks (AES-256-GCM, the STREAM construction);
- ``postgres``: pg_dump and pg_restore, run as the role of the database settings (the owner's);
- ``state``: what the manifest says of the record (migrations, row counts, chain heads, the audit log),
  read inside the dump's own snapshot, and read again after a restore to prove it;
- ``make``: ``backup_make`` writes a dump and its manifest to the backups store;
- ``source``: where a backup is, and whether its manifest is well formed and authentic;
- ``restore``: ``backup_restore`` puts one into an empty database;
- ``proof``: ``restore_proof`` proves a restored (or recovered) database against a manifest.
"""
