"""Court packages with witness and victim identities: only leads download them, each download is an
identity reveal of every person in it, the package names only the people linked to what was
selected, and no identity is ever stored in plain text (the database and every file Slid keeps)."""

import hashlib
import importlib
import io
import json
import os
import re
import subprocess
import zipfile
import zlib
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.db import connection

from evidence.models import AuditEntry, Confidentiality, Export, Role
from evidence.package import layout as package_layout
from evidence.services.packages import export_request
from evidence.services.witnesses import protected_person_create, protected_person_update
from tests.factories import make_incident
from tests.workers.helpers import archived_item
from workers import common, exports

# Names no other test uses, so a match can only come from this test's people.
WITNESS = {
    "full_name": "Yaryna Zhovtoberezhna",
    "date_of_birth": "1958-11-23",
    "contact": "+380 97 555 0193",
    "address": "Sadova 77, Irpin",
    "protective_measures": "Relocated; voice distortion",
    "consent": "Consents to the ICC only",
}
VICTIM = {"full_name": "Борислав Черемшина", "address": "Яблунська 144, Буча"}
UNSELECTED = {"full_name": "Ustym Vyshnevetskyi-Lozynskyi", "contact": "ustym.secret@example.org"}
SECRETS = [
    "Yaryna Zhovtoberezhna", "Zhovtoberezhna", "+380 97 555 0193", "1958-11-23", "Sadova 77",
    "Черемшина", "Яблунська 144", "Vyshnevetskyi", "ustym.secret",
]  # fmt: skip


@pytest.fixture
def people(case_a, member_of):
    lead = member_of(case_a, Role.LEAD, username="chief-prosecutor")
    legal = member_of(case_a, Role.LEGAL, username="counsel")
    analyst = member_of(case_a, Role.ANALYST, username="analyst")
    return {"lead": lead, "legal": legal, "analyst": analyst}


@pytest.fixture
def selection(case_a, people):
    """W-0001 is linked to a selected item, V-0001 to a selected incident; W-0002, whose only reader
    is the analyst, to an incident that is not selected."""
    lead = people["lead"]
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity=WITNESS)
    victim = protected_person_create(actor=lead, case=case_a, kind="victim", identity=VICTIM)
    unselected = protected_person_create(
        actor=lead, case=case_a, kind="witness", identity=UNSELECTED, readers=[people["analyst"]]
    )
    chosen = make_incident(case_a, title="Yablunska Street", protected_persons=[victim])
    other = make_incident(case_a, title="Another incident", protected_persons=[unselected])
    statement = archived_item(
        case_a, lead, b"video statement", name="statement.mp4",
        confidentiality=Confidentiality.IDENTIFIES_WITNESS, protected_persons=[witness],
    )  # fmt: skip
    archived_item(case_a, lead, b"elsewhere", name="other.jpg", incidents=[other], protected_persons=[unselected])
    return {"incident": chosen, "statement": statement, "witness": witness, "victim": victim}


def build_with_identities(case, lead, selection) -> Export:
    export = export_request(
        actor=lead, case=case, incidents=[selection["incident"]], evidence=[selection["statement"]],
        include_identities=True,
    )  # fmt: skip
    exports.build_export(export.pk, agent=common.worker_agent("test"))
    export.refresh_from_db()
    assert export.status == "ready", export.status_reason
    return export


def identities_document(package: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        (info,) = [info for info in archive.infolist() if info.filename.endswith("/data/identities.json")]
        return info, archive.read(info)


def identities_in(package: bytes) -> list[dict]:
    return json.loads(identities_document(package)[1])["people"]


def downloaded(client, export: Export) -> bytes:
    return b"".join(client.get(f"/api/v1/exports/{export.pk}/download/").streaming_content)


def stored_digests_of_identities(export: Export) -> dict[str, str]:
    """The SHA-256 and SHA-512 of identities.json, as the manifests in the package's structure, kept in
    plain text in the exports store, give them to anyone who can read that store."""
    layout = package_layout.stored_layout(export.package_key)
    with storages["exports"].open(layout.structure_key, "rb") as stored:
        structure = stored.read()
    found = re.findall(rb"^([0-9a-f]{64}|[0-9a-f]{128})  data/identities\.json$", structure, flags=re.MULTILINE)
    return {"sha256" if len(digest) == 64 else "sha512": digest.decode() for digest in found}


@pytest.mark.django_db
def test_a_legal_member_may_not_download_a_package_with_identities(client_for, case_a, people, selection):
    export = build_with_identities(case_a, people["lead"], selection)

    response = client_for(people["legal"]).get(f"/api/v1/exports/{export.pk}/download/")

    assert response.status_code == 403
    assert "only a lead" in response.json()["detail"]
    assert not AuditEntry.objects.filter(action__in=["export.download", "witness.identity_reveal"]).exists()
    assert client_for(people["analyst"]).get(f"/api/v1/exports/{export.pk}/download/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.LEAD, 200), (Role.LEGAL, 403), (Role.INVESTIGATOR, 403), (Role.ANALYST, 403), (None, 404)],
)
def test_who_downloads_a_package_with_identities(
    client_for, case_a, case_b, member_of, people, selection, role, expected
):
    export = build_with_identities(case_a, people["lead"], selection)
    user = member_of(case_a, role) if role else member_of(case_b, Role.LEAD)  # None: a lead of another case

    response = client_for(user).get(f"/api/v1/exports/{export.pk}/download/", HTTP_RANGE="bytes=0-9")

    assert response.status_code == (206 if expected == 200 else expected)
    reveals = AuditEntry.objects.filter(action__endswith=".identity_reveal", actor=user)
    assert reveals.count() == (2 if expected == 200 else 0)


@pytest.mark.django_db
def test_a_legal_member_still_downloads_a_package_without_identities(client_for, case_a, people, selection):
    export = export_request(actor=people["legal"], case=case_a, incidents=[selection["incident"]])
    exports.build_export(export.pk, agent=common.worker_agent("test"))

    response = client_for(people["legal"]).get(f"/api/v1/exports/{export.pk}/download/")

    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert not [name for name in archive.namelist() if name.endswith("identities.json")]


@pytest.mark.django_db
def test_each_download_reveals_every_identity_in_the_package_in_the_audit_log(client_for, case_a, people, selection):
    export = build_with_identities(case_a, people["lead"], selection)
    client = client_for(people["lead"])

    whole = client.get(f"/api/v1/exports/{export.pk}/download/")
    b"".join(whole.streaming_content)
    client.get(f"/api/v1/exports/{export.pk}/download/", HTTP_RANGE="bytes=0-99")

    reveals = AuditEntry.objects.filter(action__endswith=".identity_reveal").order_by("id")
    assert sorted((r.action, r.target) for r in reveals) == [
        ("victim.identity_reveal", "V-0001"), ("victim.identity_reveal", "V-0001"),
        ("witness.identity_reveal", "W-0001"), ("witness.identity_reveal", "W-0001"),
    ]  # fmt: skip
    assert {r.actor for r in reveals} == {people["lead"]}
    assert {r.details["export"] for r in reveals} == {str(export.public_id)}


@pytest.mark.django_db
def test_identities_json_holds_only_the_people_linked_to_the_selection(client_for, case_a, people, selection):
    export = build_with_identities(case_a, people["lead"], selection)

    response = client_for(people["lead"]).get(f"/api/v1/exports/{export.pk}/download/")
    identities = identities_in(b"".join(response.streaming_content))

    assert [(person["pseudonym"], person["full_name"]) for person in identities] == [
        ("V-0001", "Борислав Черемшина"), ("W-0001", "Yaryna Zhovtoberezhna"),
    ]  # fmt: skip
    assert identities[1]["contact"] == "+380 97 555 0193"


# identities.json as Slid wrote it before it carried a nonce: what someone who can read the exports
# store, and guesses who the witness and the victim are, would write and hash.
GUESSED_DOCUMENT = """[
 {
  "pseudonym": "V-0001",
  "kind": "victim",
  "address": "Яблунська 144, Буча",
  "consent": null,
  "contact": null,
  "date_of_birth": null,
  "full_name": "Борислав Черемшина",
  "protective_measures": null
 },
 {
  "pseudonym": "W-0001",
  "kind": "witness",
  "address": "Sadova 77, Irpin",
  "consent": "Consents to the ICC only",
  "contact": "+380 97 555 0193",
  "date_of_birth": "1958-11-23",
  "full_name": "Yaryna Zhovtoberezhna",
  "protective_measures": "Relocated; voice distortion"
 }
]""".encode()


@pytest.mark.django_db
def test_two_packages_of_the_same_identities_hold_different_identities_documents(client_for, case_a, people, selection):
    first = build_with_identities(case_a, people["lead"], selection)
    second = build_with_identities(case_a, people["lead"], selection)
    lead = client_for(people["lead"])

    (first_info, first_document), (second_info, second_document) = (
        identities_document(downloaded(lead, export)) for export in (first, second)
    )

    assert identities_in(downloaded(lead, first)) == identities_in(downloaded(lead, second))  # the same people
    first_stored, second_stored = stored_digests_of_identities(first), stored_digests_of_identities(second)
    assert first_stored["sha256"] == hashlib.sha256(first_document).hexdigest()  # the manifest the store keeps
    assert first_stored["sha256"] != second_stored["sha256"]
    assert first_stored["sha512"] != second_stored["sha512"]
    assert first_info.CRC != second_info.CRC
    assert first.sha256 != second.sha256
    nonces = [json.loads(document)["nonce"] for document in (first_document, second_document)]
    assert nonces[0] != nonces[1] and all(re.fullmatch("[0-9a-f]{64}", nonce) for nonce in nonces)  # 32 bytes


@pytest.mark.django_db
def test_a_guess_of_the_names_cannot_be_confirmed_against_what_the_exports_store_keeps(
    client_for, case_a, people, selection
):
    export = build_with_identities(case_a, people["lead"], selection)
    info, document = identities_document(downloaded(client_for(people["lead"]), export))

    stored = stored_digests_of_identities(export)
    assert stored["sha256"] == hashlib.sha256(document).hexdigest()
    assert stored["sha256"] != hashlib.sha256(GUESSED_DOCUMENT).hexdigest()
    assert stored["sha512"] != hashlib.sha512(GUESSED_DOCUMENT).hexdigest()
    assert info.CRC != zlib.crc32(GUESSED_DOCUMENT)
    assert info.file_size != len(GUESSED_DOCUMENT)


@pytest.mark.django_db
def test_the_size_of_identities_json_does_not_give_away_the_length_of_the_names(client_for, case_a, people, selection):
    short = build_with_identities(case_a, people["lead"], selection)
    protected_person_update(
        actor=people["lead"], person=selection["witness"], identity={"full_name": "Yaryna Zhovtoberezhna-Shevchenko"}
    )
    longer = build_with_identities(case_a, people["lead"], selection)
    lead = client_for(people["lead"])

    (short_info, _), (longer_info, longer_document) = (
        identities_document(downloaded(lead, export)) for export in (short, longer)
    )

    assert identities_in(downloaded(lead, longer))[1]["full_name"] == "Yaryna Zhovtoberezhna-Shevchenko"
    assert short_info.file_size == longer_info.file_size == 4096
    assert json.loads(longer_document)["padding"].strip() == ""


@pytest.mark.django_db
def test_the_package_reader_refuses_the_sealed_identities_without_the_key_holder(case_a, people, selection):
    export = build_with_identities(case_a, people["lead"], selection)
    layout = package_layout.stored_layout(export.package_key)

    with pytest.raises(package_layout.SealedPartWithheld):
        b"".join(package_layout.package_chunks(layout, 0, export.size_bytes, on_mismatch=lambda *_: None))


def files_root() -> Path:
    """The folder of this test run's local file stores (intake, archive, exports, temporary files)."""
    return Path(settings.FILE_UPLOAD_TEMP_DIR).parent


def database_dump() -> bytes:
    """pg_dump of the test database as the owner role, which sees every row."""
    url = settings.DATABASE_OWNER_URL or settings.DATABASE_URL
    owner = dj_database_url.parse(url)
    return subprocess.run(
        ["/usr/lib/postgresql/15/bin/pg_dump", "-h", owner["HOST"], "-p", str(owner["PORT"]), "-U", owner["USER"],
         connection.settings_dict["NAME"]],
        env={"PGPASSWORD": owner["PASSWORD"] or ""}, capture_output=True, check=True,
    ).stdout  # fmt: skip


def forms_of(secret: str) -> list[bytes]:
    """The secret as UTF-8, and as JSON writes it with ensure_ascii (\\uXXXX escapes)."""
    return [secret.encode(), json.dumps(secret)[1:-1].encode()]


@pytest.mark.django_db(transaction=True)
def test_no_identity_is_stored_in_plain_text_in_the_database_or_any_file(client_for, case_a, people, selection):
    export = build_with_identities(case_a, people["lead"], selection)
    downloaded = client_for(people["lead"]).get(f"/api/v1/exports/{export.pk}/download/")
    package = b"".join(downloaded.streaming_content)
    assert b"Zhovtoberezhna" in package and "Черемшина".encode() in package  # the test can see them

    dump = database_dump()
    assert b"W-0001" in dump and b"identities" in dump  # a real dump of this database
    files = [path for path in files_root().rglob("*") if path.is_file()]
    assert any(path.name == "structure.bin" for path in files)
    for secret in SECRETS:
        for form in forms_of(secret):
            assert form not in dump, secret
            for path in files:
                assert form not in path.read_bytes(), (secret, os.fspath(path))


@pytest.mark.django_db
def test_packages_built_with_plain_text_identities_are_erased_by_the_migration(case_a, people):
    from django.apps import apps
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    migration = importlib.import_module("evidence.migrations.0014_sealed_package_identities_and_audit_actions")
    store = storages["exports"]
    folder = f"{case_a.public_id}/slid-export-old"
    structure = store.save(f"{folder}/structure.bin", ContentFile(b"PK... Yaryna Zhovtoberezhna ..."))
    layout = store.save(f"{folder}/layout.json", ContentFile(json.dumps({"structure_key": structure}).encode()))
    old = Export.objects.create(
        case=case_a, requested_by=people["lead"], include_identities=True, status="ready", package_key=layout
    )
    plain_structure = store.save("other/structure.bin", ContentFile(b"no identities"))
    plain = Export.objects.create(case=case_a, requested_by=people["lead"], status="ready", package_key="other/x.json")

    migration.erase_plain_text_identities(apps, None)

    old.refresh_from_db()
    assert (old.status, old.package_key) == ("failed", "")
    assert old.status_reason.startswith("Built by an earlier version of Slid, which kept the witness and victim")
    assert not store.exists(structure) and not store.exists(layout)
    plain.refresh_from_db()
    assert plain.status == "ready" and store.exists(plain_structure)
