"""The limits on signing in, against a real redis-server (the cache every web worker shares in
production) and real threads: an account locks after exactly SLID_LOGIN_MAX_FAILURES failures however
many guesses arrive at once, and the per-client throttle counts the address the connection came from,
unless it came through a proxy named in SLID_TRUSTED_PROXIES."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from evidence.models import AuditEntry
from tests.factories import UserFactory
from tests.otp import PASSWORD
from tests.redis_server import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("login-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def real_redis(redis_server, settings):
    """The cache of every test here is the redis-server above (the test settings' own cache is in memory,
    because clearing the shared Redis would empty the broker's queue)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}
    }
    from django.core.cache import cache

    cache.clear()
    settings.SLID_LOGIN_RATE = "1000/min"
    settings.SLID_LOGIN_MAX_FAILURES = 5
    settings.SLID_LOGIN_LOCKOUT_MINUTES = 15
    settings.SLID_TRUSTED_PROXIES = []
    return cache


def login(username="olena", password="wrong password", **headers):
    client = APIClient()
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json", **headers)


def at_once(count: int, request) -> list:
    barrier = threading.Barrier(count)

    def run(_):
        try:
            barrier.wait(timeout=30)
            return request()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_twenty_wrong_passwords_at_once_lock_the_account_after_exactly_five():
    UserFactory(username="olena")

    responses = at_once(20, login)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [400] * 5 + [429] * 15, statuses
    assert AuditEntry.objects.filter(action="auth.login_failed", target="olena").count() == 5
    locked = login(password=PASSWORD)
    assert locked.status_code == 429
    assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60
    assert locked.json()["detail"].startswith("Too many failed logins for this account; try again later.")


def test_a_forged_x_forwarded_for_does_not_escape_the_throttle(settings):
    settings.SLID_LOGIN_RATE = "3/min"

    answers = [login(username=f"user{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(4)]

    assert answers == [400, 400, 400, 429]


def test_a_forged_x_forwarded_for_is_not_what_the_audit_log_records():
    login(HTTP_X_FORWARDED_FOR="198.51.100.66", REMOTE_ADDR="203.0.113.9")

    assert AuditEntry.objects.get(action="auth.login_failed").source_ip == "203.0.113.9"


def test_behind_a_trusted_proxy_each_client_is_throttled_and_audited_by_its_own_address(settings):
    settings.SLID_LOGIN_RATE = "3/min"
    settings.SLID_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # What a client sent in the header (the first address) is kept by the proxy, which appends the
    # address it saw; only the proxy's part is believed.
    first = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 198.51.100.7"}
    second = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 198.51.100.8"}

    answers = [login(username=f"user{n}", **first).status_code for n in range(3)]
    other_client = login(username="user9", **second).status_code
    fourth = login(username="user4", **first).status_code

    assert (answers, other_client, fourth) == ([400, 400, 400], 400, 429)
    addresses = set(AuditEntry.objects.filter(action="auth.login_failed").values_list("source_ip", flat=True))
    assert addresses == {"198.51.100.7", "198.51.100.8"}


def test_a_correct_login_clears_the_failures():
    UserFactory(username="olena")
    for _ in range(4):
        assert login().status_code == 400
    assert login(password=PASSWORD).status_code == 200

    answers = [login().status_code for _ in range(5)]

    assert answers == [400] * 5
    assert login(password=PASSWORD).status_code == 429


def test_every_count_in_redis_expires_by_itself(real_redis):
    UserFactory(username="olena")
    for _ in range(7):
        login()

    client = real_redis._cache.get_client()
    ttls = [client.ttl(key) for key in client.keys("*")]

    # A counter without an expiry would lock the account, or the client, for good.
    assert ttls and all(0 < ttl <= 15 * 60 for ttl in ttls), ttls


def test_the_addresses_of_one_ipv6_64_share_one_allowance(settings):
    """An IPv6 subscriber is given a /64 (2^64 addresses): counted one by one, each would get a fresh allowance."""
    settings.SLID_LOGIN_RATE = "3/min"

    answers = [login(username=f"user{n}", REMOTE_ADDR=f"2001:db8:1:2::{n:x}").status_code for n in range(1, 5)]
    other_network = login(username="user9", REMOTE_ADDR="2001:db8:1:3::1").status_code

    assert (answers, other_network) == ([400, 400, 400, 429], 400)


def test_an_ipv4_address_written_as_ipv6_is_the_same_client(settings):
    settings.SLID_LOGIN_RATE = "3/min"

    answers = [
        login(username="user1", REMOTE_ADDR="203.0.113.9").status_code,
        login(username="user2", REMOTE_ADDR="::ffff:203.0.113.9").status_code,
        login(username="user3", REMOTE_ADDR="::ffff:cb00:7109").status_code,  # the same, in hexadecimal
        login(username="user4", REMOTE_ADDR="203.0.113.9").status_code,
    ]

    assert answers == [400, 400, 400, 429]
    assert set(AuditEntry.objects.values_list("source_ip", flat=True)) == {"203.0.113.9"}


def test_ipv4_clients_are_counted_one_by_one(settings):
    settings.SLID_LOGIN_RATE = "1/min"

    answers = [login(username=f"user{n}", REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(1, 4)]

    assert answers == [400, 400, 400]
