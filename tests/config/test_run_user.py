"""`make run` started by root runs Slid's processes as an unprivileged user (scripts/as-run-user)."""

import os
import pwd
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="what root does; as another user nothing changes")


def as_run_user(*command: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts" / "as-run-user"), *command],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def slid_can_run_the_python() -> bool:
    """Whether the user slid may run the virtualenv's Python (not when it is under /root, usually)."""
    attempt = subprocess.run(
        ["setpriv", "--reuid", "slid", "--regid", "slid", "--init-groups", ".venv/bin/python", "-c", "import django"],
        cwd=ROOT, capture_output=True, check=False,
    )  # fmt: skip
    return attempt.returncode == 0


def test_root_runs_the_processes_as_the_unprivileged_user_who_owns_only_what_they_write(tmp_path):
    files = tmp_path / "files"
    (files / "archive").mkdir(parents=True)

    result = as_run_user(
        ".venv/bin/python", "-c", "import os, django; print(os.geteuid(), os.getegid(), os.getgroups())",
        SLID_FILES_ROOT=str(files),
    )  # fmt: skip

    if not slid_can_run_the_python():
        # This checkout's Python is under /root: said plainly, and run as root all the same.
        assert "WARNING: running as root" in result.stderr
        assert result.stdout.split()[0] == "0"
        return
    slid = pwd.getpwnam("slid")
    uid, gid, groups = result.stdout.split(maxsplit=2)
    assert (int(uid), int(gid)) == (slid.pw_uid, slid.pw_gid)
    assert "0" not in groups.strip("[]").replace(",", " ").split()  # no group root either
    assert {path.stat().st_uid for path in [files, files / "archive", ROOT / "var" / "run"]} == {slid.pw_uid}
    assert (ROOT / "var").stat().st_uid == 0  # the rest of var/ (the database's files, the secrets) stays root's
