"""Slid's BagIt profile (evidence/package/bagit-profile.json): itself valid, shipped in every package,
named by bag-info.txt, and strict enough that a changed package no longer matches it."""

import json
import shutil
import zipfile
from pathlib import Path

import bagit
import bagit_profile
import pytest

from evidence.models import Role
from evidence.services.packages import export_request
from tests.bagit_profile import PROFILE_IDENTIFIER, PROFILE_PATH, profile_errors
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of


@pytest.fixture
def package(case_a, member_of, tmp_path) -> tuple[Path, Path]:
    lead = member_of(case_a, Role.LEAD, username="registry-liaison")
    photo = archived_item(case_a, lead, b"photo bytes " * 300, name="IMG_0100.jpg")
    return package_of(build(export_request(actor=lead, case=case_a, evidence=[photo])), tmp_path)


def test_the_profile_is_a_valid_bagit_profile():
    profile = json.loads(PROFILE_PATH.read_text())
    # The validator checks the profile itself when it is made, and refuses one that is not a profile.
    bagit_profile.Profile(PROFILE_IDENTIFIER, profile=profile)
    assert profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] == PROFILE_IDENTIFIER
    with pytest.raises(bagit_profile.ProfileValidationError):
        bagit_profile.Profile(PROFILE_IDENTIFIER, profile={**profile, "BagIt-Profile-Info": {}})


def test_every_package_carries_the_profile_and_names_it(package):
    zip_path, bag = package
    assert (bag / "bagit-profile.json").read_bytes() == PROFILE_PATH.read_bytes()
    assert bagit.Bag(str(bag)).info["BagIt-Profile-Identifier"] == PROFILE_IDENTIFIER
    assert (bag / "tagmanifest-sha256.txt").read_text().count("  bagit-profile.json\n") == 1
    assert profile_errors(zip_path, bag) == []


def test_a_package_unpacked_into_a_folder_is_not_the_serialised_package(package):
    zip_path, bag = package
    assert any("serialization is required" in error for error in profile_errors(bag, bag))


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda bag: (bag / "fetch.txt").write_text("http://example.org/x 1 data/x\n"), "Fetch.txt is present"),
        (lambda bag: (bag / "notes.txt").write_text("added later\n"), "'notes.txt' is not listed"),
        (lambda bag: (bag / "manifest-sha512.txt").unlink(), "'sha512' is not present"),
        (lambda bag: (bag / "bagit-profile.json").unlink(), "bagit-profile.json' is not present"),
    ],
    ids=["a fetch file", "another tag file", "no SHA-512 manifest", "no profile"],
)
def test_a_changed_package_no_longer_matches_the_profile(package, tmp_path, change, expected):
    zip_path, bag = package
    changed = tmp_path / "changed" / bag.name
    shutil.copytree(bag, changed)
    change(changed)
    assert any(expected in error for error in profile_errors(zip_path, changed))


def test_bag_info_without_the_profile_identifier_does_not_match(package, tmp_path):
    zip_path, bag = package
    changed = tmp_path / "changed" / bag.name
    shutil.copytree(bag, changed)
    info = (changed / "bag-info.txt").read_text()
    (changed / "bag-info.txt").write_text(info.replace(f"BagIt-Profile-Identifier: {PROFILE_IDENTIFIER}\n", ""))
    assert any("BagIt-Profile-Identifier" in error for error in profile_errors(zip_path, changed))
    with zipfile.ZipFile(zip_path) as archive:
        assert f"{bag.name}/bagit-profile.json" in archive.namelist()
