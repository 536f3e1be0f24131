"""What the workspace's page tests share."""

import re

from django.test import Client


def signed_in(user) -> Client:
    """A browser-less client signed in as ``user``, asking for English pages."""
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def main_of(html: str) -> str:
    """The page's own part (the header belongs to every page), without ids and hashes (hexadecimal)."""
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\b[0-9a-f]{8}(-[0-9a-f-]{27})?\b|\b[0-9a-f]{64}\b", "", main)
