import contextlib
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import dj_database_url
import pytest
from django.conf import settings as django_settings
from django.db import connection

from evidence import identity_crypto
from evidence.models import AuditEntry, ProtectedPerson, Role
from evidence.services.witnesses import (
    identities_rotate_keys,
    protected_identity,
    protected_person_create,
    protected_person_update,
)

IDENTITY = {
    "full_name": "Olena Kovalenko",
    "date_of_birth": "1961-04-12",
    "contact": "+380 44 000 0000",
    "address": "Vokzalna 12, Bucha",
    "protective_measures": "Voice distortion; no image",
    "consent": "Consents to use before the ICC, not to publication",
}


@pytest.mark.django_db
def test_witnesses_and_victims_are_known_by_pseudonyms(client_for, case_a, member_of):
    client = client_for(member_of(case_a, Role.INVESTIGATOR))

    first = client.post("/api/v1/witnesses/", {"case": case_a.pk, **IDENTITY}, format="json")
    second = client.post("/api/v1/witnesses/", {"case": case_a.pk, "full_name": "Another"}, format="json")
    victim = client.post("/api/v1/victims/", {"case": case_a.pk, "full_name": "Ivan"}, format="json")

    assert first.status_code == 201, first.content
    assert (first.json()["pseudonym"], second.json()["pseudonym"], victim.json()["pseudonym"]) == (
        "W-0001", "W-0002", "V-0001",
    )  # fmt: skip
    listing = client.get("/api/v1/witnesses/").content.decode()
    assert "Kovalenko" not in listing and "W-0001" in listing


@pytest.mark.django_db(transaction=True)
def test_a_raw_database_dump_shows_no_name(case_a, member_of, tmp_path):
    protected_person_create(actor=member_of(case_a, Role.LEAD), case=case_a, kind="witness", identity=IDENTITY)
    database = dj_database_url.parse(django_settings.DATABASE_URL)
    dump = subprocess.run(
        ["/usr/lib/postgresql/15/bin/pg_dump", "--data-only", "-h", database["HOST"], "-p", str(database["PORT"]),
         "-U", database["USER"], connection.settings_dict["NAME"]],
        env={"PGPASSWORD": database["PASSWORD"] or ""}, capture_output=True, check=True,
    ).stdout  # fmt: skip

    assert b"W-0001" in dump
    for secret in ("Kovalenko", "Vokzalna", "+380 44", "1961-04-12", "Voice distortion"):
        assert secret.encode() not in dump, secret


@pytest.mark.django_db
def test_only_a_lead_or_a_named_member_reveals_and_every_reveal_is_audited(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    analyst = member_of(case_a, Role.ANALYST)
    investigator = member_of(case_a, Role.INVESTIGATOR)
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity=IDENTITY)
    url = f"/api/v1/witnesses/{witness.pk}/identity/"

    revealed = client_for(lead).get(url)
    assert revealed.status_code == 200
    assert revealed.json()["full_name"] == "Olena Kovalenko" and revealed.json()["pseudonym"] == "W-0001"
    assert client_for(analyst).get(url).status_code == 403
    assert client_for(investigator).get(url).status_code == 403

    named = client_for(lead).patch(f"/api/v1/witnesses/{witness.pk}/", {"readers": [analyst.pk]}, format="json")
    assert named.status_code == 200 and named.json()["readers"] == [analyst.pk]
    assert client_for(analyst).get(url).json()["address"] == "Vokzalna 12, Bucha"
    assert client_for(investigator).get(url).status_code == 403
    reveals = AuditEntry.objects.filter(action="witness.identity_reveal", target="W-0001")
    assert sorted(reveals.values_list("actor__username", flat=True)) == sorted([lead.username, analyst.username])


@pytest.mark.django_db
def test_a_reader_must_be_a_member_of_the_case(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity=IDENTITY)
    stranger = member_of(case_a.__class__.objects.create(reference="UA-OTHER", title="Other"), Role.LEAD)

    response = client_for(lead).patch(f"/api/v1/witnesses/{witness.pk}/", {"readers": [stranger.pk]}, format="json")

    assert response.status_code == 400 and "readers" in response.json()
    assert not witness.readers.exists()


@pytest.mark.django_db
def test_keys_rotate_and_old_identities_stay_readable(settings, case_a, member_of):
    old_key, new_key = identity_crypto.new_key(), identity_crypto.new_key()
    settings.SLID_IDENTITY_KEYS, settings.SLID_IDENTITY_KEY_ID = [f"old:{old_key}"], "old"
    witness = protected_person_create(
        actor=member_of(case_a, Role.LEAD), case=case_a, kind="witness", identity=IDENTITY
    )
    settings.SLID_IDENTITY_KEYS, settings.SLID_IDENTITY_KEY_ID = [f"new:{new_key}", f"old:{old_key}"], "new"

    assert identities_rotate_keys() == 1
    settings.SLID_IDENTITY_KEYS = [f"new:{new_key}"]  # the old key can now go

    witness = ProtectedPerson.objects.get(pk=witness.pk)
    assert witness.identity_key_id == "new"
    assert protected_identity(witness)["full_name"] == "Olena Kovalenko"


@pytest.mark.django_db
def test_a_ciphertext_moved_to_another_record_does_not_decrypt(case_a, member_of):
    from cryptography.exceptions import InvalidTag

    lead = member_of(case_a, Role.LEAD)
    first = protected_person_create(actor=lead, case=case_a, kind="witness", identity=IDENTITY)
    second = protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "X"})
    ProtectedPerson.objects.filter(pk=second.pk).update(identity_sealed=first.identity_sealed)

    with pytest.raises(InvalidTag):
        protected_identity(ProtectedPerson.objects.get(pk=second.pk))


@pytest.mark.django_db
def test_incidents_and_evidence_refer_to_witnesses_by_pseudonym_only(client_for, case_a, member_of, upload):
    investigator = member_of(case_a, Role.INVESTIGATOR)
    witness = protected_person_create(actor=investigator, case=case_a, kind="witness", identity=IDENTITY)
    client = client_for(investigator)

    incident = client.post(
        "/api/v1/incidents/",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.2, 50.5]},
         "properties": {"case": case_a.pk, "title": "Statement", "occurred_from": "2022-03-04",
                        "protected_persons": [witness.pk]}},
        format="json",
    )  # fmt: skip
    item = upload(investigator, case_a, b"recorded statement", name="statement.wav", protected_persons=[witness.pk])

    assert incident.status_code == 201, incident.content
    assert incident.json()["properties"]["pseudonyms"] == ["W-0001"]
    assert item.status_code == 201 and item.json()["pseudonyms"] == ["W-0001"]
    for response in (incident, item, client.get(f"/api/v1/incidents/{incident.json()['id']}/")):
        assert "Kovalenko" not in response.content.decode()


@pytest.mark.django_db
def test_a_witness_of_another_case_cannot_be_referred_to(client_for, case_a, case_b, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    case_b.memberships.create(user=user, role=Role.INVESTIGATOR)
    foreign = protected_person_create(actor=user, case=case_b, kind="witness", identity=IDENTITY)

    response = client_for(user).post(
        "/api/v1/incidents/",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.2, 50.5]},
         "properties": {"case": case_a.pk, "title": "x", "occurred_from": "2022-03-04",
                        "protected_persons": [foreign.pk]}},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert "protected_persons" in response.json()
    assert not case_a.incidents.exists()


@pytest.mark.django_db
def test_only_a_lead_names_readers(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    investigator = member_of(case_a, Role.INVESTIGATOR)
    analyst = member_of(case_a, Role.ANALYST)
    client = client_for(investigator)

    for readers in ([investigator.pk], [analyst.pk]):
        refused = client.post("/api/v1/witnesses/", {"case": case_a.pk, **IDENTITY, "readers": readers}, format="json")
        assert refused.status_code == 403, refused.content
        assert "readers" in refused.json()["detail"]
    assert not ProtectedPerson.objects.exists()
    assert client.post("/api/v1/witnesses/", {"case": case_a.pk, **IDENTITY}, format="json").status_code == 201
    named = client_for(lead).post(
        "/api/v1/victims/", {"case": case_a.pk, "full_name": "Ivan", "readers": [analyst.pk]}, format="json"
    )
    assert named.status_code == 201 and named.json()["readers"] == [analyst.pk]


@pytest.mark.django_db
def test_removing_a_member_removes_their_reader_grants_in_the_audit_log(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    analyst = member_of(case_a, Role.ANALYST)
    other = member_of(case_a, Role.LEGAL)
    witness = protected_person_create(
        actor=lead, case=case_a, kind="witness", identity=IDENTITY, readers=[analyst, other]
    )
    victim = protected_person_create(
        actor=lead, case=case_a, kind="victim", identity={"full_name": "V"}, readers=[analyst]
    )
    assert client_for(analyst).get(f"/api/v1/witnesses/{witness.pk}/identity/").status_code == 200

    removed = client_for(lead).delete(f"/api/v1/cases/{case_a.pk}/members/{analyst.pk}/")

    assert removed.status_code == 204, removed.content
    assert list(witness.readers.all()) == [other] and not victim.readers.exists()
    grants = AuditEntry.objects.filter(
        action__in=["witness.update", "victim.update"], details__removed_reader=analyst.pk
    )
    assert sorted((entry.action, entry.target, entry.actor) for entry in grants) == [
        ("victim.update", "V-0001", lead), ("witness.update", "W-0001", lead),
    ]  # fmt: skip
    assert grants.get(target="W-0001").details["readers"] == [other.pk]
    # Back in the case, the analyst is a member again, but no longer a reader.
    case_a.memberships.create(user=analyst, role=Role.ANALYST)
    assert client_for(analyst).get(f"/api/v1/witnesses/{witness.pk}/identity/").status_code == 403


@pytest.mark.django_db
def test_the_revealed_identity_is_not_kept_by_caches(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity=IDENTITY)

    revealed = client_for(lead).get(f"/api/v1/witnesses/{witness.pk}/identity/")

    assert revealed.status_code == 200
    assert revealed["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readers_errors_do_not_tell_who_exists(client_for, case_a, case_b, member_of):
    lead = member_of(case_a, Role.LEAD)
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity=IDENTITY)
    of_another_case = member_of(case_b, Role.LEAD)
    inactive = member_of(case_a, Role.ANALYST, is_active=False)
    nobody = of_another_case.pk + 1000
    client = client_for(lead)

    answers = {}
    for label, user_id in (("other case", of_another_case.pk), ("inactive", inactive.pk), ("nobody", nobody)):
        response = client.patch(f"/api/v1/witnesses/{witness.pk}/", {"readers": [user_id]}, format="json")
        answers[label] = (response.status_code, response.json())

    assert answers["other case"] == (400, {"readers": [f"User {of_another_case.pk} is not a member of UA-2022-BUCHA."]})
    assert answers["inactive"] == (400, {"readers": [f"User {inactive.pk} is not a member of UA-2022-BUCHA."]})
    assert answers["nobody"] == (400, {"readers": [f"User {nobody} is not a member of UA-2022-BUCHA."]})
    assert not witness.readers.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("readers", [["7"], [2**31], [-1], [None], "7", [{"id": 7}], [True]])
def test_hostile_readers_are_refused_with_the_field(client_for, case_a, member_of, readers):
    lead = member_of(case_a, Role.LEAD)
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity=IDENTITY)

    response = client_for(lead).patch(f"/api/v1/witnesses/{witness.pk}/", {"readers": readers}, format="json")

    assert response.status_code == 400, response.content
    assert "readers" in response.json()


@pytest.mark.django_db(transaction=True)
def test_two_identity_changes_at_once_are_both_kept(case_a, member_of, monkeypatch):
    """Each change reads the identity, merges its fields and seals it again. Both threads are made to
    read before either writes (they meet at a barrier after reading); with the row locked before the
    read, the second waits for the first instead, the barrier times out, and nothing is lost."""
    from evidence.services import witnesses

    lead = member_of(case_a, Role.LEAD)
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity=IDENTITY)
    barrier = threading.Barrier(2, timeout=3)
    read = witnesses.protected_identity

    def read_then_wait(person):
        identity = read(person)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return identity

    monkeypatch.setattr(witnesses, "protected_identity", read_then_wait)

    def change(fields: dict):
        try:
            protected_person_update(actor=lead, person=ProtectedPerson.objects.get(pk=witness.pk), identity=fields)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(change, {"contact": "+380 50 111 1111"}), pool.submit(change, {"address": "Irpin"})]:
            done.result()

    monkeypatch.undo()
    identity = protected_identity(ProtectedPerson.objects.get(pk=witness.pk))
    assert (identity["contact"], identity["address"]) == ("+380 50 111 1111", "Irpin")
    assert identity["full_name"] == "Olena Kovalenko"
    assert AuditEntry.objects.filter(action="witness.update", target="W-0001").count() == 2
