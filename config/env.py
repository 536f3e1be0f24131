"""Typed readers for settings that come from the environment.

Each fails loudly on a value it cannot understand instead of quietly falling back to a default.
A secret may also be given as a file: ``NAME_FILE=/run/secrets/name`` (Docker and Kubernetes secrets).
"""

import os
from pathlib import Path


class ImproperlyConfiguredEnv(ValueError):
    pass


# Every name the settings asked for; a test compares it with what docker-compose.yml sets.
NAMES_READ: set[str] = set()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    NAMES_READ.update({name, f"{name}_FILE"})
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    NAMES_READ.add(name)
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int) -> int:
    NAMES_READ.add(name)
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    NAMES_READ.update({name, f"{name}_FILE"})
    if name not in os.environ and f"{name}_FILE" not in os.environ:
        return default
    raw = env_str(name)
    return [item.strip() for item in raw.split(",") if item.strip()]


# A rate's period, by its first letter, as in Django REST framework's throttles: "20/min", "1000/day".
RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(name: str, text: str) -> tuple[int, int]:
    """A rate such as "20/min" as (20, 60): how many, per how many seconds."""
    number, slash, period = text.partition("/")
    number = number.strip()
    seconds = RATE_PERIODS.get(period.strip()[:1])
    if not slash or not (number.isascii() and number.isdigit()) or int(number) < 1 or seconds is None:
        raise ImproperlyConfiguredEnv(f"{name}={text!r} is not a rate: use <number>/<s|min|h|day>, such as 20/min")
    return int(number), seconds


def env_rate(name: str, default: str) -> str:
    """A rate such as "20/min" (checked now, so a mistyped one stops the start instead of a request)."""
    NAMES_READ.add(name)
    value = os.environ.get(name, default)
    parse_rate(name, value)
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    NAMES_READ.add(name)
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value
