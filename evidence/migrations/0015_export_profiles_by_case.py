"""Export profiles belong to a case, or are shared by every case.

Until now every profile was shared: any legal member or lead anywhere defined one, and every user
saw it, with whatever its name, description and column names said about the case it was made for.
A profile made so is given to the cases that may have meant it: each case whose exports used it,
and each case where its author is a lead or a legal member (one copy per case). Each of those
cases' members could see it already; nobody else sees it any more. A profile that belongs to no
such case stays shared. Going back merges the copies into one shared profile per name; a profile that
differs from the one that kept the name (another case's own, defined after this) is kept under the
name with a number (``chamber-2``), never deleted."""

import itertools

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q

EXPORTING_ROLES = ("lead", "legal")


def give_profiles_to_their_cases(apps, schema_editor):
    ExportProfile = apps.get_model("evidence", "ExportProfile")
    Export = apps.get_model("evidence", "Export")
    CaseMembership = apps.get_model("evidence", "CaseMembership")
    for profile in ExportProfile.objects.filter(case__isnull=True).order_by("pk"):
        used_in = set(Export.objects.filter(profile=profile.name).values_list("case_id", flat=True))
        authored_for = set(
            CaseMembership.objects.filter(user_id=profile.created_by_id, role__in=EXPORTING_ROLES).values_list(
                "case_id", flat=True
            )
        )
        cases = sorted(used_in | authored_for)
        if not cases:
            continue
        first, *others = cases
        for case_id in others:
            ExportProfile.objects.create(
                case_id=case_id,
                name=profile.name,
                description=profile.description,
                columns=profile.columns,
                created_by_id=profile.created_by_id,
                created_at=profile.created_at,
            )
        profile.case_id = first
        profile.save(update_fields=["case"])
    check_now(schema_editor)


def share_profiles_again(apps, schema_editor):
    """One shared profile per name, the oldest keeping it: a copy (the same name, description and
    columns, as give_profiles_to_their_cases makes them) is merged into the one it copies, and a
    different profile under a name taken already gets a free one."""
    ExportProfile = apps.get_model("evidence", "ExportProfile")
    profiles = list(ExportProfile.objects.order_by("pk"))
    taken = {profile.name for profile in profiles}
    kept_by_name: dict[str, list] = {}
    for profile in profiles:
        kept = kept_by_name.setdefault(profile.name, [])
        if any((other.description, other.columns) == (profile.description, profile.columns) for other in kept):
            profile.delete()
            continue
        if kept:
            profile.name = _free_name(profile.name, taken)
            taken.add(profile.name)
            profile.save(update_fields=["name"])
        kept.append(profile)
    ExportProfile.objects.update(case=None)
    check_now(schema_editor)


def _free_name(name: str, taken: set[str]) -> str:
    """``name-2``, ``name-3``… (within the 64 characters of a name), the first nobody has."""
    for number in itertools.count(2):
        suffix = f"-{number}"
        candidate = f"{name[: 64 - len(suffix)]}{suffix}"
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def check_now(schema_editor) -> None:
    """Runs the foreign-key checks the rows written above left pending: PostgreSQL builds no index
    and alters no table while they wait."""
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0014_sealed_package_identities_and_audit_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportprofile",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="export_profiles",
                to="evidence.case",
            ),
        ),
        migrations.AlterField(
            model_name="exportprofile",
            name="name",
            field=models.SlugField(max_length=64),
        ),
        migrations.AlterModelOptions(
            name="exportprofile",
            options={"ordering": ["name", "id"]},
        ),
        migrations.RunPython(give_profiles_to_their_cases, share_profiles_again),
        migrations.AddConstraint(
            model_name="exportprofile",
            constraint=models.UniqueConstraint(
                condition=Q(case__isnull=False), fields=("case", "name"), name="export_profile_name_once_per_case"
            ),
        ),
        migrations.AddConstraint(
            model_name="exportprofile",
            constraint=models.UniqueConstraint(
                condition=Q(case__isnull=True), fields=("name",), name="export_profile_shared_name_once"
            ),
        ),
    ]
