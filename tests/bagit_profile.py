"""Every court package the tests build is checked against Slid's BagIt profile, with the bagit-profiles
project's own validator (bagit_profile), not with Slid's code."""

import json
from pathlib import Path

import bagit
import bagit_profile

PROFILE_PATH = Path(__file__).resolve().parent.parent / "evidence" / "package" / "bagit-profile.json"
PROFILE_IDENTIFIER = "urn:x-slid:bagit-profile:court-package:1"


def profile_errors(zip_path: Path, bag_path: Path) -> list[str]:
    """What the validator finds wrong with the package (the zip, and the bag folder unpacked from it)."""
    profile = bagit_profile.Profile(PROFILE_IDENTIFIER, profile=json.loads(PROFILE_PATH.read_text()))
    errors = []
    try:
        profile.validate_serialization(str(zip_path))
    except bagit_profile.ProfileValidationError as error:
        errors.append(str(error))
    if not profile.validate(bagit.Bag(str(bag_path))):
        errors += [str(error) for error in profile.report.errors]
    return errors
