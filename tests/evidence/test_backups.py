"""Database backups and the restore drill (issue #15 §2), against the real PostgreSQL, with pg_dump,
pg_restore and psql, and the real file stores.

The drill runs on a database of its own, a copy of the migrated test database that the test makes,
drops (the disaster) and makes again empty, as the owner role; the record is written and read as the
application role, as in production."""

import base64
import contextlib
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection

from evidence.agents import Agent
from evidence.backups import crypto
from evidence.backups.make import backups_list
from evidence.models import ArchiveCopy, AuditLink, Role
from evidence.services.checkpoints import checkpoint_build
from evidence.services.packages import export_request
from evidence.services.witnesses import protected_person_create
from tests.conftest import _owner_credentials, _server_as_owner, create_database, drop_database, pristine_database_name
from tests.factories import CaseFactory, MembershipFactory, UserFactory, make_incident
from tests.workers.helpers import archived_item
from tests.workers.replicas import configure_replicas, local_replica
from tests.workers.test_exports import build
from tests.workers.test_replication import flip_one_byte
from workers import fixity, replication

PHOTO = b"\xff\xd8\xff\xe0 photo of the courtyard " * 4000
STATEMENT = b"%PDF-1.4 statement of a witness, signed"
VIDEO = b"\x00\x00\x00\x18ftypmp42 video of the street " * 2000


def a_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


# --- A database of the test's own ------------------------------------------------------------------


class DrillDatabase:
    """A database beside the test database, which Django's default connection is pointed at for the
    duration, as the application role or, with ``as_owner()``, as the owner role."""

    def __init__(self, name: str, pristine: str) -> None:
        self.name, self.pristine = name, pristine

    def create(self, *, copy_of_test_database: bool) -> None:
        """``copy_of_test_database``: a copy of the migrated test database (tests.conftest.pristine_database_name)."""
        connection.close()
        create_database(self.name, template=self.pristine if copy_of_test_database else None)

    def drop(self) -> None:
        connection.close()
        drop_database(self.name)

    @contextlib.contextmanager
    def as_owner(self) -> Iterator[None]:
        application = {name: connection.settings_dict[name] for name in ("USER", "PASSWORD")}
        connection.close()
        connection.settings_dict.update(_owner_credentials())
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.update(application)


@pytest.fixture
def drill_database(django_db_setup, django_db_blocker) -> Iterator[DrillDatabase]:
    test_database = connection.settings_dict["NAME"]
    drill = DrillDatabase(f"{test_database}_drill", pristine_database_name())
    with django_db_blocker.unblock():
        drill.drop()  # one left by a run that was killed
        connection.settings_dict["NAME"] = drill.name
        try:
            yield drill
        finally:
            connection.close()
            connection.settings_dict["NAME"] = test_database
            drill.drop()


@pytest.fixture
def backup_key(settings) -> str:
    settings.SLID_BACKUP_KEY = key = a_key()
    return key


def run(command: str, *args: str) -> tuple[str, CommandError | None]:
    """(what the command printed, the CommandError it ended with, if it did)."""
    out = StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


# --- The restore drill -----------------------------------------------------------------------------


def make_the_record(client_for) -> dict:
    """A case with incidents, archived evidence (one a duplicate), a witness, a victim and a package."""
    case = CaseFactory(reference="UA-2022-BUCHA", title="Bucha")
    lead = MembershipFactory(case=case, role=Role.LEAD, user=UserFactory(username="drill-lead")).user
    yablunska = make_incident(case, actor=lead, title="Killings on Yablunska Street", crimes=["8(2)(a)(i)"])
    vokzalna = make_incident(case, actor=lead, title="Shelling of Vokzalna Street")
    photo = archived_item(case, lead, PHOTO, name="IMG_0042.jpg", incidents=[yablunska])
    statement = archived_item(case, lead, STATEMENT, name="statement.pdf", incidents=[yablunska])
    video = archived_item(case, lead, VIDEO, name="VID_0007.mp4", incidents=[vokzalna])
    again = archived_item(case, lead, PHOTO, name="IMG_0042 (copy).jpg")
    witness = protected_person_create(actor=lead, case=case, kind="witness", identity={"full_name": "Olena Kovalenko"})
    protected_person_create(actor=lead, case=case, kind="victim", identity={"full_name": "Ivan Petrenko"})
    export = build(export_request(actor=lead, case=case, incidents=[yablunska], evidence=[video]))
    assert export.status == "ready", export.status_reason
    statuses = [item.status for item in (photo, statement, video, again)]
    assert statuses == ["archived", "archived", "archived", "duplicate"]
    return {"case": case, "lead": lead, "client": client_for(lead), "items": [photo, statement, video, again],
            "witness": witness, "export": export}  # fmt: skip


def what_the_api_shows(client, case, items) -> dict:
    """Every answer the drill compares, before the disaster and after the restore."""
    shown = {}
    for name, path in {
        "case": f"/api/v1/cases/{case.pk}/",
        "evidence": f"/api/v1/evidence/?case={case.pk}&page_size=100",
        "incidents": f"/api/v1/incidents/?case={case.pk}&page_size=100",
        "witnesses": f"/api/v1/witnesses/?case={case.pk}",
        "victims": f"/api/v1/victims/?case={case.pk}",
        "exports": f"/api/v1/exports/?case={case.pk}",
        **{f"custody {item.ern}": f"/api/v1/evidence/{item.pk}/custody/?page_size=100" for item in items},
    }.items():
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        shown[name] = response.json()
    return shown


def test_the_restore_drill(drill_database, backup_key, client_for, tmp_path, settings, monkeypatch):
    archive = Path(storages["archive"].location)
    # The archive has a replica elsewhere (another disk here; another country in production).
    configure_replicas(settings, monkeypatch, {"offsite": local_replica(tmp_path / "offsite")})

    # 1. A record, on a database of its own (a copy of the migrated, empty test database), every file
    # archived on both stores.
    drill_database.create(copy_of_test_database=True)
    record = make_the_record(client_for)
    client, items = record["client"], record["items"]
    for item in items:
        replication.replicate_item(item.pk, agent=Agent.for_worker("restore drill"))
    before = what_the_api_shows(client, record["case"], items)
    checkpoint = checkpoint_build()  # links the audit log, and anchors the chains

    # 2. The backup, as the owner role (make backup).
    with drill_database.as_owner():
        printed, error = run("backup_database")
    assert error is None, printed
    (backup,) = backups_list()
    assert backup["encrypted"] and backup["items"] == 4
    stored = Path(storages["backups"].location) / backup["name"]
    assert sorted(path.name for path in stored.iterdir()) == ["database.pgdump.enc", "manifest.json"]
    manifest = json.loads((stored / "manifest.json").read_text())
    assert manifest["dump"]["sha256"] == hashlib.sha256((stored / "database.pgdump.enc").read_bytes()).hexdigest()
    assert manifest["dump"]["encryption"]["key_id"] == crypto.key_id(base64.b64decode(backup_key))
    assert manifest["row_counts"]["evidence_evidenceitem"] == 4
    assert manifest["row_counts"]["evidence_incident"] == 2
    assert manifest["row_counts"]["evidence_protectedperson"] == 2
    assert ["evidence", "0027_provenance_read_at_intake"] in manifest["migrations"]
    # The audit log's chain head, as the database links it (finding 13 of the review of #15).
    head = AuditLink.objects.order_by("-position").first()
    assert head is not None
    assert manifest["audit"]["chain"] == {
        "links": AuditLink.objects.count(), "head_position": head.position, "head_link_hash": head.link_hash,
    }  # fmt: skip
    # The manifest is authenticated with the backup key.
    assert manifest["authentication"]["scheme"] == "hmac-sha256/1"
    assert manifest["authentication"]["key_id"] == crypto.key_id(base64.b64decode(backup_key))
    heads = {head["ern"]: head for head in manifest["chain_heads"].values()}
    assert sorted(heads) == [f"UA-2022-BUCHA-{n:06d}" for n in (1, 2, 3, 4)]
    for item in items:
        last = item.custody.order_by("-sequence").first()
        assert heads[item.ern] == {"ern": item.ern, "sequence": last.sequence, "entry_hash": last.entry_hash}
    # The dump is encrypted: nothing of the record is readable in it.
    assert b"Killings on Yablunska Street" not in (stored / "database.pgdump.enc").read_bytes()

    # 3. The disaster: the database and the primary archive store are gone.
    drill_database.drop()
    shutil.rmtree(archive)
    with _server_as_owner() as server:
        assert server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [drill_database.name]).fetchone() is None

    # 4. A new, empty database (PostGIS in it, from template1), and the restore into it, as the owner role.
    drill_database.create(copy_of_test_database=False)
    with drill_database.as_owner():
        printed, error = run("restore_database", backup["name"])

    # Everything in the database is proven; the archive's files are named as missing.
    assert error is not None and "NOT proven: 4 findings" in str(error), printed
    for line in (
        "migrations: ok",
        "row_counts: ok",
        "custody: ok, 4 checked",
        "checkpoints: ok, 1 checked",
        f"note: The latest checkpoint of the restored record is checkpoint {checkpoint.pk}, built ",
        f"root {checkpoint.root}. Compare it with the latest root published outside Slid",
        "chain_heads: ok, 4 checked",
        "audit: ok",
        "fixity: FAILED (4), 8 checked",
    ):
        assert line in printed, printed
    for item in items:  # the fourth is a duplicate, whose copy is the photo's: named too
        assert f"  {item.ern}: archive store, {item.archive_key}: missing" in printed, printed

    # 5. The API shows everything as before, as the application role: the same items, ERNs, hashes,
    # incidents, witnesses' pseudonyms, packages and chains of custody.
    after = what_the_api_shows(client, record["case"], items)
    assert after == before
    evidence = {item["ern"]: item for item in after["evidence"]["results"]}
    assert {ern: item["sha256"] for ern, item in evidence.items()} == {
        "UA-2022-BUCHA-000001": hashlib.sha256(PHOTO).hexdigest(),
        "UA-2022-BUCHA-000002": hashlib.sha256(STATEMENT).hexdigest(),
        "UA-2022-BUCHA-000003": hashlib.sha256(VIDEO).hexdigest(),
        "UA-2022-BUCHA-000004": hashlib.sha256(PHOTO).hexdigest(),
    }
    titles = {feature["properties"]["title"] for feature in after["incidents"]["features"]}
    assert titles == {"Killings on Yablunska Street", "Shelling of Vokzalna Street"}
    assert [person["pseudonym"] for person in after["witnesses"]["results"]] == ["W-0001"]
    assert [person["pseudonym"] for person in after["victims"]["results"]] == ["V-0001"]
    assert [export["sha256"] for export in after["exports"]["results"]] == [record["export"].sha256]
    printed, error = run("verify_custody")
    assert error is None and "All 4 chains of custody hold" in printed, printed

    # 6. While the primary is gone, every file downloads byte-identical from the replica; then the primary is
    # repaired from it.
    for item, content in zip(items, (PHOTO, STATEMENT, VIDEO, PHOTO), strict=True):
        response = client.get(f"/api/v1/evidence/{item.pk}/download/")
        assert response.status_code == 200, response.content
        assert b"".join(response.streaming_content) == content
    with drill_database.as_owner():
        printed, error = run("repair_copies")
    assert error is None, printed
    for item, content in zip(items, (PHOTO, STATEMENT, VIDEO, PHOTO), strict=True):
        assert (archive / item.archive_key).read_bytes() == content

    # 7. With the archive whole again, every copy is good and every chain holds, its repair recorded in it.
    # (The manifest's proof is of the record as it was restored; the repair and the downloads have added to
    # it since, so --check-only would rightly name the chains that grew.)
    printed, error = run("check_copies")
    assert error is None, printed
    printed, error = run("verify_custody")
    assert error is None and "All 4 chains of custody hold" in printed, printed
    # One repair per file: the duplicate's bytes are the photo's, found good again once the photo's were repaired.
    assert [item.custody.filter(event_type="repaired").count() for item in items] == [1, 1, 1, 0]
    # The witness's identity is readable: the restored record opens with the service's identity keys.
    revealed = client.get(f"/api/v1/witnesses/{record['witness'].pk}/identity/")
    assert revealed.status_code == 200 and revealed.json()["full_name"] == "Olena Kovalenko", revealed.content


# --- Refusals: nothing is restored from a backup that is not what its manifest says, or into a database
# that is not empty ------------------------------------------------------------------------------------


def backed_up(drill_database, *, then_empty: bool = True) -> Path:
    """A backup of a small record on the drill database, which is then dropped and made again empty
    (unless not ``then_empty``); the backup's folder in the backups store."""
    drill_database.create(copy_of_test_database=True)
    case = CaseFactory(reference="UA-2022-IZIUM")
    make_incident(case, title="Burial site in the forest")
    with drill_database.as_owner():
        printed, error = run("backup_database")
    assert error is None, printed
    if then_empty:
        drill_database.drop()
        drill_database.create(copy_of_test_database=False)
    (backup,) = backups_list()
    return Path(storages["backups"].location) / backup["name"]


def restored_tables(drill_database) -> list[str]:
    from evidence.backups.postgres import Database, objects_in

    return objects_in(Database.from_settings())


def test_a_dump_changed_after_it_was_written_is_refused(drill_database, backup_key):
    folder = backed_up(drill_database)
    dump = folder / "database.pgdump.enc"
    content = bytearray(dump.read_bytes())
    content[len(content) // 2] ^= 0x01
    dump.write_bytes(bytes(content))

    with drill_database.as_owner():
        printed, error = run("restore_database", folder.name)

    assert error is not None
    assert f"has SHA-256 {hashlib.sha256(content).hexdigest()}, but its manifest says" in str(error)
    assert "changed after it was written. Nothing was restored." in str(error)
    assert restored_tables(drill_database) == []


def test_an_encrypted_dump_changed_with_its_manifest_is_refused(drill_database, backup_key):
    # Whoever changes the dump and writes its new SHA-256 into the manifest, without the key, cannot make the
    # manifest authenticate; and even with the manifest's MAC made again, no chunk can be forged.
    folder = backed_up(drill_database)
    dump = folder / "database.pgdump.enc"
    content = bytearray(dump.read_bytes())
    content[-100] ^= 0x01
    dump.write_bytes(bytes(content))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["dump"]["sha256"] = hashlib.sha256(content).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))

    with drill_database.as_owner():
        printed, forged = run("restore_database", str(folder))  # a folder, as copied off the store
        manifest["authentication"]["mac"] = crypto.manifest_mac(manifest, base64.b64decode(backup_key))
        (folder / "manifest.json").write_text(json.dumps(manifest))
        printed, with_the_key = run("restore_database", str(folder))

    assert forged is not None and with_the_key is not None
    assert f"The manifest of {manifest['name']} does not authenticate under key " in str(forged)
    assert "Chunk 0 of the encrypted dump does not authenticate" in str(with_the_key)
    assert restored_tables(drill_database) == []


def test_a_manifest_changed_to_match_another_record_is_refused(drill_database, backup_key):
    folder = backed_up(drill_database)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["row_counts"]["evidence_incident"] = 0  # e.g. to hide what the dump holds from the proof
    (folder / "manifest.json").write_text(json.dumps(manifest))

    with drill_database.as_owner():
        printed, error = run("restore_database", folder.name)

    assert error is not None
    assert "does not authenticate under key" in str(error) and "Nothing was restored." in str(error)
    assert restored_tables(drill_database) == []


def test_a_plain_dump_passed_off_as_a_backup_is_refused_while_a_key_is_set(drill_database, backup_key, settings):
    # Whoever can write the backups store but has no key makes an unencrypted backup (here: a real one, of
    # the same record) and puts it where the restore looks.
    settings.SLID_BACKUP_KEY = ""
    folder = backed_up(drill_database)
    settings.SLID_BACKUP_KEY = backup_key

    with drill_database.as_owner():
        printed, refused = run("restore_database", folder.name)
        tables_after_refusal = restored_tables(drill_database)
        printed, allowed = run("restore_database", "--allow-unencrypted", folder.name)

    assert refused is not None
    assert "is not encrypted, and SLID_BACKUP_KEY is set: its manifest cannot be authenticated" in str(refused)
    assert tables_after_refusal == []
    assert allowed is None, printed  # the operator who knows where it comes from may restore it
    assert "WARNING: backup slid-" in printed and "is not encrypted: its manifest is not authenticated" in printed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["dump"].update(file="/etc/passwd"), "`dump.file` is not database.pgdump or database.pgdump.enc"),
        (lambda m: m.pop("audit"), "`audit` is missing"),
        (lambda m: m["dump"].update(sha256="not a hash"), "`dump.sha256` is not a SHA-256"),
        (lambda m: m["audit"].pop("chain"), "`audit.chain` is missing"),
        (lambda m: m["dump"].update(file="database.pgdump"), "`dump.file` is database.pgdump, but `dump.encryption`"),
    ],
)
def test_a_manifest_that_is_not_well_formed_is_refused_naming_the_field(drill_database, backup_key, change, message):
    folder = backed_up(drill_database)
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))

    with drill_database.as_owner():
        printed, error = run("restore_database", str(folder))

    assert error is not None
    assert f"The manifest of {folder} is not well formed: {message}" in str(error)
    assert restored_tables(drill_database) == []


def test_a_backup_name_that_is_a_path_is_refused(drill_database, backup_key):
    # A path that is no folder here (where the suite runs decides whether ../../etc would be one).
    name = "../../no-such-folder-of-backups/etc"
    drill_database.create(copy_of_test_database=True)
    with drill_database.as_owner():
        printed, error = run("restore_database", name)

    assert error is not None and f"'{name}' is neither a folder nor the name of a backup" in str(error)


def test_files_archived_after_the_backup_are_warned_of(drill_database, backup_key, client_for):
    folder = backed_up(drill_database, then_empty=False)
    case = CaseFactory(reference="UA-2022-IRPIN")
    lead = MembershipFactory(case=case, role=Role.LEAD).user
    later = archived_item(case, lead, VIDEO, name="after-the-backup.mp4")
    drill_database.drop()
    drill_database.create(copy_of_test_database=False)

    with drill_database.as_owner():
        printed, error = run("restore_database", folder.name)

    assert error is None, printed  # the restore of that backup is proven; what came after it is not in it
    assert (
        f"WARNING: The archive store holds 1 files that no item of the restored record refers to (the first: "
        f"{later.archive_key}): the archive is newer than this backup." in printed
    ), printed


def test_the_proof_reads_each_copy_where_its_record_says_and_counts_pending_ones_apart(
    drill_database, backup_key, tmp_path, settings, monkeypatch
):
    configure_replicas(settings, monkeypatch, {"kyiv": local_replica(tmp_path / "kyiv")})
    drill_database.create(copy_of_test_database=True)
    case = CaseFactory(reference="UA-2022-CHERNIHIV")
    lead = MembershipFactory(case=case, role=Role.LEAD).user
    repaired = archived_item(case, lead, STATEMENT, name="statement.pdf")
    waiting = archived_item(case, lead, VIDEO, name="video.mp4")  # its replica copy is never made here
    replication.replicate_item(repaired.pk, agent=Agent.for_worker("test"))
    key = repaired.archive_key
    flip_one_byte(tmp_path / "kyiv" / key)
    fixity.fixity_check([repaired], agent=Agent.for_worker("test"))  # repairs it to <key>.repair-1
    copy = ArchiveCopy.objects.get(evidence=repaired, store="archive-replica-kyiv")
    assert (copy.key, copy.state) == (f"{key}.repair-1", "repaired")
    assert ArchiveCopy.objects.get(evidence=waiting, store="archive-replica-kyiv").state == "pending"
    with drill_database.as_owner():
        printed, error = run("backup_database")
    assert error is None, printed
    (backup,) = backups_list()

    printed, error = run("restore_database", "--check-only", backup["name"])

    assert error is None, printed
    assert "fixity: ok, 3 checked" in printed, printed  # both primaries, and the replica's repaired copy
    assert "note: 1 copies in the archive-replica-kyiv store are pending (never made yet), not checked" in printed

    # Damaged again where the record says the good bytes are: named, at that key.
    flip_one_byte(tmp_path / "kyiv" / f"{key}.repair-1")
    printed, error = run("restore_database", "--check-only", backup["name"])

    assert error is not None
    assert f"  {repaired.ern}: archive-replica-kyiv store, {key}.repair-1: SHA-256 is " in printed, printed


def test_a_wrong_key_or_none_is_refused_clearly(drill_database, backup_key, settings):
    folder = backed_up(drill_database)
    right = crypto.key_id(base64.b64decode(backup_key))
    settings.SLID_BACKUP_KEY = wrong_key = a_key()

    with drill_database.as_owner():
        printed, wrong = run("restore_database", folder.name)
        settings.SLID_BACKUP_KEY = ""
        printed, missing = run("restore_database", folder.name)

    wrong_id = crypto.key_id(base64.b64decode(wrong_key))
    assert wrong is not None and missing is not None
    assert f"This backup was encrypted with key {right}, and the key given is {wrong_id}" in str(wrong)
    assert f"The dump is encrypted (key {right}): set SLID_BACKUP_KEY to that key" in str(missing)
    assert restored_tables(drill_database) == []


def test_a_target_database_that_is_not_empty_is_refused(drill_database, backup_key):
    folder = backed_up(drill_database, then_empty=False)
    with drill_database.as_owner():
        printed, error = run("restore_database", folder.name)

    assert error is not None
    assert f"Database '{drill_database.name}' is not empty: it holds" in str(error)
    assert "(auth_group, auth_group_permissions, auth_permission, auth_user, auth_user_groups and " in str(error)
    assert "A backup is restored only into an empty database" in str(error)
    assert CaseFactory._meta.model.objects.get().reference == "UA-2022-IZIUM"  # untouched


def test_a_backup_without_a_key_is_a_plain_custom_format_dump_and_says_so(drill_database, settings):
    settings.SLID_BACKUP_KEY = ""
    drill_database.create(copy_of_test_database=True)
    out, err = StringIO(), StringIO()
    with drill_database.as_owner():
        call_command("backup_database", stdout=out, stderr=err)

    assert "this backup is NOT encrypted" in err.getvalue()
    (backup,) = backups_list()
    dump = Path(storages["backups"].location) / backup["name"] / "database.pgdump"
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert not backup["encrypted"]
    assert oct(dump.stat().st_mode & 0o777) == "0o600"


# --- The encryption itself -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 16, 17, 32, 33, 1000])
def test_encryption_round_trips_whatever_the_size(size):
    key, plaintext = os.urandom(32), os.urandom(size)
    encrypted = b"".join(crypto.encrypt_chunks(iter([plaintext[:5], plaintext[5:]]), key, chunk_bytes=16))

    chunks = max(1, (size + 15) // 16)  # an empty dump still has its one (empty) last chunk
    assert len(encrypted) == crypto.HEADER.size + size + chunks * crypto.TAG_BYTES
    assert b"".join(crypto.decrypt_chunks(_bytes_io(encrypted), key)) == plaintext


def test_a_dump_cut_short_at_a_chunk_boundary_or_reordered_does_not_decrypt():
    key = os.urandom(32)
    encrypted = b"".join(crypto.encrypt_chunks(iter([b"a" * 40]), key, chunk_bytes=16))
    header, block = crypto.HEADER.size, 16 + crypto.TAG_BYTES
    cut = encrypted[: header + 2 * block]  # the last chunk dropped: the one before was not flagged last
    swapped = encrypted[:header] + encrypted[header + block : header + 2 * block] + encrypted[header : header + block]
    swapped += encrypted[header + 2 * block :]

    with pytest.raises(crypto.DecryptionError, match="Chunk 1 of the encrypted dump does not authenticate"):
        b"".join(crypto.decrypt_chunks(_bytes_io(cut), key))
    with pytest.raises(crypto.DecryptionError, match="Chunk 0 of the encrypted dump does not authenticate"):
        b"".join(crypto.decrypt_chunks(_bytes_io(swapped), key))


def test_a_key_that_is_not_32_bytes_of_base64_is_refused_naming_the_variable():
    with pytest.raises(crypto.BackupKeyError, match="SLID_BACKUP_KEY holds 16 bytes; it must be 32"):
        crypto.parse_key(base64.b64encode(b"x" * 16).decode())
    with pytest.raises(crypto.BackupKeyError, match="SLID_BACKUP_KEY is not base64"):
        crypto.parse_key("not a key!")


def _bytes_io(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)
