"""Where a request comes from: the connection's address, or, when that is a proxy named in
SLID_TRUSTED_PROXIES, the address that proxy saw (the right-most X-Forwarded-For entry that is not
itself a trusted proxy). What the client wrote in the header itself is never believed."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import StreamingHttpResponse
from django.test import Client, RequestFactory

from evidence.request_context import SourceAddressMiddleware, client_address, source_ip


def address(remote: str, forwarded: str | None = None) -> str | None:
    headers = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})
    return client_address(RequestFactory().get("/", **headers))


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no proxy is trusted: the header is ignored
        ("203.0.113.9", None, "203.0.113.9"),
        ("2001:db8::1", "198.51.100.1", "2001:db8::1"),
    ],
)
def test_without_trusted_proxies_the_connection_is_the_client(settings, remote, forwarded, expected):
    settings.SLID_TRUSTED_PROXIES = []

    assert address(remote, forwarded) == expected


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # the proxy appended the address it saw
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        # the client wrote its own X-Forwarded-For; the proxy appended the real address after it
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # two trusted proxies in a row
        ("10.0.0.2", "198.51.100.7, 10.0.0.9", "198.51.100.7"),
        ("10.0.0.2", "198.51.100.7,10.1.2.3 , 10.0.0.9", "198.51.100.7"),
        # IPv6, with and without brackets and a port
        ("10.0.0.2", "2001:db8::7", "2001:db8::7"),
        ("10.0.0.2", "[2001:db8::7]:4711", "2001:db8::7"),
        ("10.0.0.2", "198.51.100.7:4711", "198.51.100.7"),
        # a trusted proxy that sent no header: the proxy is all we know
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        # garbage in the header: the nearest address that is known stands
        ("10.0.0.2", "not-an-address", "10.0.0.2"),
        ("10.0.0.2", "198.51.100.7, <script>", "10.0.0.2"),
        ("10.0.0.2", "1" * 5000, "10.0.0.2"),
        # every hop trusted: the first one
        ("10.0.0.2", "10.0.0.3, 10.0.0.4", "10.0.0.3"),
        # a connection from outside the proxies: the header is the client's own, ignored
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
        # zone ids would not fit the audit log's address column
        ("fe80::1%eth0", None, "fe80::1"),
    ],
)
def test_behind_trusted_proxies_the_address_they_saw_is_the_client(settings, remote, forwarded, expected):
    settings.SLID_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert address(remote, forwarded) == expected


def test_a_single_proxy_address_is_a_network_of_one(settings):
    settings.SLID_TRUSTED_PROXIES = ["127.0.0.1", "::1"]

    assert address("127.0.0.1", "198.51.100.7") == "198.51.100.7"
    assert address("::1", "198.51.100.8") == "198.51.100.8"
    assert address("127.0.0.2", "198.51.100.9") == "127.0.0.2"


def test_no_address_at_all_is_none(settings):
    settings.SLID_TRUSTED_PROXIES = []

    assert address("") is None
    assert address("unix-socket") is None


def test_a_mistyped_proxy_is_refused_loudly(settings):
    settings.SLID_TRUSTED_PROXIES = ["10.0.0.0/33"]

    with pytest.raises(ImproperlyConfigured, match=r"SLID_TRUSTED_PROXIES: '10.0.0.0/33' is not an address"):
        address("10.0.0.2", "198.51.100.7")


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # a dual-stack socket writes an IPv4 client as ::ffff:a.b.c.d: it is the IPv4 address
        ("::ffff:203.0.113.9", None, "203.0.113.9"),
        ("[::ffff:203.0.113.9]:4711", None, "203.0.113.9"),
        # so is a trusted proxy (10.0.0.0/8) that connects through such a socket
        ("::ffff:10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("::ffff:10.0.0.2", "::ffff:198.51.100.7", "198.51.100.7"),
        # and a hop written so by a proxy is trusted like its IPv4 form
        ("10.0.0.2", "198.51.100.7, ::ffff:10.0.0.9", "198.51.100.7"),
        # a client that is not a trusted proxy, however written, has its header ignored
        ("::ffff:203.0.113.9", "198.51.100.7", "203.0.113.9"),
    ],
)
def test_ipv4_addresses_written_as_ipv6_are_the_ipv4_addresses(settings, remote, forwarded, expected):
    settings.SLID_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert address(remote, forwarded) == expected


def test_a_trusted_proxy_network_written_as_ipv4_mapped_ipv6_trusts_the_ipv4_proxies(settings):
    settings.SLID_TRUSTED_PROXIES = ["::ffff:10.0.0.0/104"]

    assert address("10.0.0.2", "198.51.100.7") == "198.51.100.7"
    assert address("11.0.0.2", "198.51.100.7") == "11.0.0.2"


# --- X-Forwarded-Proto (and the rest) only from a trusted proxy -------------------------------------------


@pytest.fixture
def behind_https_proxy(settings):
    """Production's settings: HTTPS told by the proxy in X-Forwarded-Proto, plain HTTP redirected."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SLID_TRUSTED_PROXIES = ["10.0.0.0/8"]


def test_a_client_saying_it_came_over_https_is_not_believed(behind_https_proxy):
    response = Client().get("/api/v1/health/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/v1/health/"


def test_the_trusted_proxy_saying_the_client_came_over_https_is_believed(behind_https_proxy, db):
    response = Client().get("/api/v1/health/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code in (200, 503)  # served, whatever the health


def test_forwarded_headers_from_an_untrusted_connection_are_dropped_before_any_view(settings):
    from evidence.request_context import FORWARDED_HEADERS, ForwardedHeadersMiddleware

    settings.SLID_TRUSTED_PROXIES = ["10.0.0.0/8"]
    seen = {}
    middleware = ForwardedHeadersMiddleware(lambda request: seen.update(request.META) or "response")
    headers = {name: "x" for name in FORWARDED_HEADERS}

    middleware(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", **headers))
    from_outside = {name for name in FORWARDED_HEADERS if name in seen}
    seen.clear()
    middleware(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **headers))
    from_proxy = {name for name in FORWARDED_HEADERS if name in seen}

    assert from_outside == set()
    assert from_proxy == set(FORWARDED_HEADERS)


def test_what_a_streamed_answer_records_while_it_streams_names_the_client(rf):
    def view(request):
        return StreamingHttpResponse(str(source_ip.get()).encode() for _ in range(2))

    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    response = SourceAddressMiddleware(view)(request)

    assert b"".join(response.streaming_content) == b"203.0.113.9203.0.113.9"
    assert source_ip.get() is None  # and nothing is left set afterwards
