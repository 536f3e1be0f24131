"""Where the current request comes from, for audit entries and the limits on signing in, without
passing requests into services."""

import ipaddress
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

source_ip: ContextVar[str | None] = ContextVar("source_ip", default=None)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"SLID_TRUSTED_PROXIES: {proxy!r} is not an address or a network (such as 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _parse(text: str) -> IPAddress | None:
    """An address as REMOTE_ADDR or an X-Forwarded-For entry gives it ("[::1]:80" and "1.2.3.4:80" too),
    without an IPv6 zone (the audit log's address column has none)."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(text.partition("%")[0])
    return address


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request: HttpRequest) -> str | None:
    """The address of the client: the connection's, or, when the connection comes from a proxy named in
    SLID_TRUSTED_PROXIES, the address that proxy saw. X-Forwarded-For is read from the right, where
    each trusted proxy appended the address it was connected from; the first address that is not a
    trusted proxy is the client. What the client itself put in the header (on the left) is never
    believed, and nothing in the header is believed when the connection is not from a trusted proxy."""
    client = _parse(request.META.get("REMOTE_ADDR") or "")
    networks = _trusted_networks(tuple(settings.SLID_TRUSTED_PROXIES))
    if client is not None and _trusted(client, networks):
        for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-32:]):
            hop = _parse(entry)
            if hop is None:
                break  # not written by a proxy of ours: the nearest known address stands
            client = hop
            if not _trusted(hop, networks):
                break
    return str(client) if client is not None else None


class SourceAddressMiddleware:
    """Remembers the client's address (``client_address``) for the request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        _trusted_networks(tuple(settings.SLID_TRUSTED_PROXIES))  # a mistyped proxy stops the start

    def __call__(self, request):
        token = source_ip.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            source_ip.reset(token)
