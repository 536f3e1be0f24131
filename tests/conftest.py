import pytest
from rest_framework.test import APIClient

from evidence.access import Role
from tests.factories import CaseFactory, MembershipFactory, UserFactory


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """client_for(user) -> an APIClient authenticated as that user with a real token."""

    def make(user) -> APIClient:
        from rest_framework.authtoken.models import Token

        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def case_a(db):
    return CaseFactory(reference="UA-2022-BUCHA", title="Bucha")


@pytest.fixture
def case_b(db):
    return CaseFactory(reference="UA-2022-IZIUM", title="Izium")


@pytest.fixture
def member_of(db):
    """member_of(case, role) -> a new user with that role in the case."""

    def make(case, role: str = Role.INVESTIGATOR, **user_fields):
        return MembershipFactory(case=case, role=role, user=UserFactory(**user_fields)).user

    return make
