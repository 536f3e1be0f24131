"""A username is normalised (NFKC, as Django does) before it is checked: normalising can lengthen it and
put spaces in it, and what is checked must be what is stored."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def staff_client(client_for):
    return client_for(UserFactory(username="registrar", is_staff=True))


def create(client, username: str):
    return client.post("/api/v1/users/", {"username": username, "email": "y@example.org"}, format="json")


def test_a_username_that_normalising_makes_too_long_is_refused_naming_the_field(staff_client):
    response = create(staff_client, "\ufdfa" * 150)  # 150 characters, 2,700 once normalised

    assert response.status_code == 400
    assert any("150" in message for message in response.json()["username"]), response.json()
    assert not User.objects.exclude(username="registrar").exists()


def test_a_username_that_normalising_fills_with_spaces_is_refused_naming_the_field(staff_client):
    response = create(staff_client, "\ufdfa" * 8)  # "صلى الله عليه وسلم" eight times, with spaces

    assert response.status_code == 400
    assert "username" in response.json()
    assert not User.objects.exclude(username="registrar").exists()


def test_a_username_is_stored_as_normalised(staff_client):
    response = create(staff_client, "\uff4f\uff4c\uff45\uff4e\uff41")  # fullwidth "olena"

    assert response.status_code == 201, response.content
    assert response.json()["username"] == "olena"
    assert User.objects.filter(username="olena").exists()


def test_a_username_that_normalises_to_one_in_use_is_refused(staff_client):
    UserFactory(username="olena")

    response = create(staff_client, "\uff4f\uff4c\uff45\uff4e\uff41")

    assert response.status_code == 400
    assert "already exists" in response.json()["username"][0]


def test_the_service_checks_the_normalised_username_too():
    from evidence.errors import DomainError
    from evidence.services.accounts import user_create

    staff = UserFactory(username="registrar2", is_staff=True)

    with pytest.raises(DomainError, match="at most 150") as refused:
        user_create(actor=staff, username="\ufdfa" * 150, email="y@example.org")

    assert refused.value.field == "username"
    assert not User.objects.filter(email="y@example.org").exists()
