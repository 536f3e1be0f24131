"""Every change is in the audit log, whatever path it takes: linking a witness to an incident with
no other change, re-encrypting identities under a new key, importing incidents from a file."""

import pytest
from django.core.management import CommandError, call_command

from evidence import identity_crypto
from evidence.models import AuditEntry, Incident, Role
from evidence.services.record import incident_update
from evidence.services.witnesses import protected_person_create
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_linking_a_witness_to_an_incident_and_nothing_else_is_audited(client_for, case_a, member_of):
    investigator = member_of(case_a, Role.INVESTIGATOR)
    witness = protected_person_create(actor=investigator, case=case_a, kind="witness", identity={"full_name": "X"})
    victim = protected_person_create(actor=investigator, case=case_a, kind="victim", identity={"full_name": "Y"})
    incident = make_incident(case_a, actor=investigator, protected_persons=[victim])
    client = client_for(investigator)

    linked = client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"properties": {"protected_persons": [witness.pk, victim.pk]}},
        format="json",
    )  # fmt: skip
    unchanged = client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"properties": {"protected_persons": [victim.pk, witness.pk]}},
        format="json",
    )  # fmt: skip
    incident_update(actor=investigator, incident=incident, protected_persons=[])

    assert linked.status_code == 200 and unchanged.status_code == 200, linked.content
    updates = AuditEntry.objects.filter(action="incident.update", target=str(incident.public_id)).order_by("id")
    assert [(entry.actor, entry.details) for entry in updates] == [
        (investigator, {"protected_persons": {"from": ["V-0001"], "to": ["V-0001", "W-0001"]}}),
        (investigator, {"protected_persons": {"from": ["V-0001", "W-0001"], "to": []}}),
    ]
    created = AuditEntry.objects.get(action="incident.create", target=str(incident.public_id))
    assert created.details == {"protected_persons": ["V-0001"]}


def test_key_rotation_is_audited_for_each_identity_it_re_encrypts(settings, case_a, member_of):
    old_key, new_key = identity_crypto.new_key(), identity_crypto.new_key()
    settings.SLID_IDENTITY_KEYS, settings.SLID_IDENTITY_KEY_ID = [f"old:{old_key}"], "old"
    lead = member_of(case_a, Role.LEAD)
    protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "A"})
    protected_person_create(actor=lead, case=case_a, kind="victim", identity={"full_name": "B"})
    settings.SLID_IDENTITY_KEYS, settings.SLID_IDENTITY_KEY_ID = [f"new:{new_key}", f"old:{old_key}"], "new"

    call_command("rotate_identity_keys", verbosity=0)
    call_command("rotate_identity_keys", verbosity=0)  # nothing left under the old key: nothing written

    rotations = AuditEntry.objects.filter(action="identity_key.rotate").order_by("target")
    by = "manage.py rotate_identity_keys"
    assert [(entry.case, entry.target, entry.details) for entry in rotations] == [
        (case_a, "V-0001", {"kind": "victim", "from_key": "old", "to_key": "new", "by": by}),
        (case_a, "W-0001", {"kind": "witness", "from_key": "old", "to_key": "new", "by": by}),
    ]


CSV = "title,occurred_from,lon,lat\nShelling,2022-03-01,30.5,50.4\nConvoy,2022-03-05,30.6,50.9\n"


def test_an_import_records_who_imported_what(tmp_path, case_a, member_of):
    investigator = member_of(case_a, Role.INVESTIGATOR, username="field-officer")
    csv_file = tmp_path / "kyiv-oblast.csv"
    csv_file.write_text(CSV)

    call_command("import_incidents", str(csv_file), case=case_a.reference, actor="field-officer", verbosity=0)

    shelling, convoy = Incident.objects.order_by("title").reverse()
    assert (shelling.created_by, convoy.created_by) == (investigator, investigator)
    created = AuditEntry.objects.filter(action="incident.create")
    assert {entry.actor for entry in created} == {investigator} and created.count() == 2
    imported = AuditEntry.objects.get(action="incident.import")
    assert (imported.actor, imported.case, imported.target) == (investigator, case_a, "kyiv-oblast.csv")
    assert imported.details == {
        "file": "kyiv-oblast.csv",
        # sha256sum of CSV, computed outside Slid
        "sha256": "6edffe5cbd990ef8fc01ed71204be5c7c8f1f9c961f550e624a96eb61b93929f",
        "incidents": sorted([str(shelling.public_id), str(convoy.public_id)]),
    }


def test_an_import_needs_an_actor_who_may_write_in_the_case(tmp_path, case_a, case_b, member_of):
    member_of(case_a, Role.ANALYST, username="reader-only")
    member_of(case_b, Role.INVESTIGATOR, username="of-another-case")
    csv_file = tmp_path / "incidents.csv"
    csv_file.write_text(CSV)

    with pytest.raises(CommandError, match="--actor"):
        call_command("import_incidents", str(csv_file), case=case_a.reference, verbosity=0)
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        call_command("import_incidents", str(csv_file), case=case_a.reference, actor="nobody", verbosity=0)
    for username in ("reader-only", "of-another-case"):
        with pytest.raises(CommandError, match=f"{username} may not record incidents in UA-2022-BUCHA"):
            call_command("import_incidents", str(csv_file), case=case_a.reference, actor=username, verbosity=0)
    assert not Incident.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="incident.").exists()
