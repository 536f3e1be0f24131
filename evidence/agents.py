"""Who or what did something to evidence: a user, or a worker on a host with its tools."""

import platform
import socket
import sys
from dataclasses import dataclass, field

import config


@dataclass(frozen=True)
class Agent:
    name: str
    details: dict = field(default_factory=dict)
    user: object | None = None

    @classmethod
    def for_user(cls, user) -> "Agent":
        return cls(name=f"user:{user.get_username()}", details={"type": "person", "user_id": user.pk}, user=user)

    @classmethod
    def for_worker(cls, worker_name: str, tools: dict[str, str] | None = None) -> "Agent":
        return cls(
            name=f"worker:{worker_name}",
            details={
                "type": "software",
                "host": socket.gethostname(),
                "slid": config.__version__,
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "tools": tools or {},
            },
        )
