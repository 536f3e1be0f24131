"""manage.py reset_totp: an operator takes a lost second factor off an account, in the name of a staff
member, with an audit entry; what was signed in with the lost device is signed out."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from evidence.models import ApiToken, AuditEntry
from tests.factories import UserFactory
from tests.otp import PASSWORD, enrol
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


def reset(*args: str) -> str:
    out = StringIO()
    call_command("reset_totp", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def olena():
    user = UserFactory(username="olena")
    enrol(user)
    return user


def test_staff_reset_a_lost_second_factor_and_the_account_is_signed_out_everywhere(olena):
    UserFactory(username="operator", is_staff=True)
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Token {token_for(olena, second_factor=True)}")
    browser = Client()
    browser.force_login(olena)

    out = reset("olena", "--actor", "operator", "--reason", "ticket 4711: phone lost")

    assert "Second factor of olena reset by operator: 1 tokens revoked, 1 sessions ended." in out
    assert not TOTPDevice.objects.filter(user=olena).exists()
    assert not ApiToken.objects.filter(user=olena).exists()
    assert phone.get("/api/v1/cases/").status_code == 401
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor.username, entry.target) == ("auth.totp_off", "operator", "olena")
    assert entry.details == {
        "via": "manage.py reset_totp",
        "user": olena.pk,
        "reason": "ticket 4711: phone lost",
        "devices_removed": 1,
        "tokens_revoked": 1,
        "sessions_ended": 1,
    }
    login = APIClient().post("/api/v1/auth/token/", {"username": "olena", "password": PASSWORD})
    assert login.status_code == 200  # the password alone, until the owner turns a second factor on again


def test_the_actor_is_required(olena):
    with pytest.raises(CommandError, match=r"--actor USERNAME"):
        reset("olena")

    assert TOTPDevice.objects.filter(user=olena).exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("actor", "account", "message"),
    [
        ("nobody", "olena", "No active user 'nobody'."),
        ("operator", "nobody", "No user 'nobody'."),
        ("clerk", "olena", "clerk may not reset the second factor of olena"),  # not staff
        ("retired", "olena", "No active user 'retired'."),
        ("operator", "colleague", "operator may not reset the second factor of colleague"),  # staff: superusers only
    ],
)
def test_it_is_refused_to_whoever_may_not_and_changes_nothing(olena, actor, account, message):
    UserFactory(username="operator", is_staff=True)
    UserFactory(username="clerk")
    UserFactory(username="retired", is_staff=True, is_active=False)
    enrol(UserFactory(username="colleague", is_staff=True))

    with pytest.raises(CommandError, match=message):
        reset(account, "--actor", actor)

    assert TOTPDevice.objects.count() == 2
    assert not AuditEntry.objects.exists()


def test_a_superuser_resets_a_staff_account_and_their_own(olena):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    root = UserFactory(username="root")
    enrol(root)
    enrol(UserFactory(username="colleague", is_staff=True))

    reset("colleague", "--actor", "root")
    reset("root", "--actor", "root")

    assert list(TOTPDevice.objects.values_list("user__username", flat=True)) == ["olena"]
    assert AuditEntry.objects.filter(action="auth.totp_off", actor=root).count() == 2
