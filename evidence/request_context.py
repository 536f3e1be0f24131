"""Where the current request comes from, for audit entries and the limits on signing in, without
passing requests into services; and the forwarded headers, believed only from the proxies named in
SLID_TRUSTED_PROXIES."""

import ipaddress
import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

logger = logging.getLogger(__name__)

source_ip: ContextVar[str | None] = ContextVar("source_ip", default=None)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a proxy tells about the client's connection: which scheme it used (SECURE_PROXY_SSL_HEADER reads
# X-Forwarded-Proto), its address, the host it asked for. From anyone but a trusted proxy, the client's
# own words.
FORWARDED_HEADERS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_X_REAL_IP",
)
# IPv4 addresses written as IPv6 (::ffff:a.b.c.d, as a dual-stack socket reports them).
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _canonical_network(network: IPNetwork) -> IPNetwork:
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(IPV4_MAPPED):
        mapped = network.network_address.ipv4_mapped
        return ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")
    return network


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for proxy in proxies:
        try:
            networks.append(_canonical_network(ipaddress.ip_network(proxy.strip(), strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"SLID_TRUSTED_PROXIES: {proxy!r} is not an address or a network (such as 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def canonical_address(text: str | None) -> IPAddress | None:
    """An address as REMOTE_ADDR or an X-Forwarded-For entry gives it ("[::1]:80" and "1.2.3.4:80" too),
    without an IPv6 zone (the audit log's address column has none), and an IPv4 address written as IPv6
    (::ffff:203.0.113.9) as the IPv4 address it is: one client is one address, however its socket wrote it."""
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            address = ipaddress.IPv6Address(text.partition("%")[0])
    return address


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the connection comes from a proxy named in SLID_TRUSTED_PROXIES."""
    peer = canonical_address(request.META.get("REMOTE_ADDR"))
    return peer is not None and _trusted(peer, _trusted_networks(tuple(settings.SLID_TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str | None:
    """The address of the client: the connection's, or, when the connection comes from a proxy named in
    SLID_TRUSTED_PROXIES, the address that proxy saw. X-Forwarded-For is read from the right, where
    each trusted proxy appended the address it was connected from; the first address that is not a
    trusted proxy is the client. What the client itself put in the header (on the left) is never
    believed, and nothing in the header is believed when the connection is not from a trusted proxy."""
    client = canonical_address(request.META.get("REMOTE_ADDR"))
    networks = _trusted_networks(tuple(settings.SLID_TRUSTED_PROXIES))
    if client is not None and _trusted(client, networks):
        for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-32:]):
            hop = canonical_address(entry)
            if hop is None:
                break  # not written by a proxy of ours: the nearest known address stands
            client = hop
            if not _trusted(hop, networks):
                break
    return str(client) if client is not None else None


class ForwardedHeadersMiddleware:
    """Drops the forwarded headers (X-Forwarded-Proto, -For, -Host…, Forwarded) of a request whose
    connection is not from a trusted proxy, before anything reads them: Django's SECURE_PROXY_SSL_HEADER
    would otherwise take any client's word that it came over HTTPS. First in MIDDLEWARE."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        _trusted_networks(tuple(settings.SLID_TRUSTED_PROXIES))  # a mistyped proxy stops the start
        if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.SLID_TRUSTED_PROXIES:
            logger.warning(
                "SECURE_PROXY_SSL_HEADER is set but SLID_TRUSTED_PROXIES is empty: X-Forwarded-Proto is believed "
                "from nobody, so behind an HTTPS proxy every request looks like plain HTTP (and is redirected, "
                "with SECURE_SSL_REDIRECT). Name the proxy in SLID_TRUSTED_PROXIES."
            )

    def __call__(self, request):
        if not from_trusted_proxy(request):
            for name in FORWARDED_HEADERS:
                request.META.pop(name, None)
        return self.get_response(request)


class SourceAddressMiddleware:
    """Remembers the client's address (``client_address``) for the request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        _trusted_networks(tuple(settings.SLID_TRUSTED_PROXIES))  # a mistyped proxy stops the start

    def __call__(self, request):
        address = client_address(request)
        token = source_ip.set(address)
        try:
            response = self.get_response(request)
        finally:
            source_ip.reset(token)
        if getattr(response, "streaming", False) and not response.is_async:
            # A streamed body runs after this returns: what it records must still name the client.
            response.streaming_content = _with_source_ip(response.streaming_content, address)
        return response


def _with_source_ip(chunks: Iterable[bytes], address: str | None) -> Iterator[bytes]:
    """Each chunk made with ``source_ip`` set, and reset before it is handed on."""
    iterator = iter(chunks)
    while True:
        token = source_ip.set(address)
        try:
            chunk = next(iterator, None)
        finally:
            source_ip.reset(token)
        if chunk is None:
            return
        yield chunk
