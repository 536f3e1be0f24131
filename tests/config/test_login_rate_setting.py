"""SLID_LOGIN_RATE is checked when the settings load: a mistyped rate stops the start with its name,
instead of answering 500 to the first login."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import ImproperlyConfiguredEnv, parse_rate

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**environment: str) -> subprocess.CompletedProcess:
    program = "from config.settings import base; print(base.SLID_LOGIN_RATE)"
    return subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("rate", ["lots", "20", "20/fortnight", "/min", "0/min", "-3/min", "2.5/min", "²/min", "20/"])
def test_a_mistyped_login_rate_stops_the_start_with_its_name(rate):
    result = load_settings(SLID_LOGIN_RATE=rate)

    assert result.returncode != 0
    assert f"SLID_LOGIN_RATE={rate!r} is not a rate: use <number>/<s|min|h|day>, such as 20/min" in result.stderr


def test_a_good_login_rate_loads():
    result = load_settings(SLID_LOGIN_RATE="5/hour")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "5/hour"


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("20/min", (20, 60)),
        ("5/s", (5, 1)),
        ("100/hour", (100, 3600)),
        ("1000/day", (1000, 86400)),
        (" 7 / m ", (7, 60)),
    ],
)
def test_a_rate_is_a_number_per_period(rate, parsed):
    assert parse_rate("SLID_LOGIN_RATE", rate) == parsed


def test_a_bad_rate_names_the_setting():
    with pytest.raises(ImproperlyConfiguredEnv, match=r"^SLID_LOGIN_RATE='lots' is not a rate"):
        parse_rate("SLID_LOGIN_RATE", "lots")
