import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_is_issued_for_a_correct_password(api):
    UserFactory(username="olena")

    response = api.post("/api/v1/auth/token/", {"username": "olena", "password": "correct horse battery staple"})

    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


def test_a_wrong_password_gets_no_token(api):
    UserFactory(username="olena")

    response = api.post("/api/v1/auth/token/", {"username": "olena", "password": "wrong"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with the given username and password."]}


def test_a_token_request_without_password_names_the_field(api):
    response = api.post("/api/v1/auth/token/", {"username": "olena"})

    assert response.status_code == 400
    assert "password" in response.json()


def test_the_issued_token_reaches_the_cases(api):
    UserFactory(username="olena")
    token = api.post("/api/v1/auth/token/", {"username": "olena", "password": "correct horse battery staple"}).json()

    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")

    assert api.get("/api/v1/cases/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/cases/1/", "/api/v1/cases/1/members/"])
def test_anonymous_requests_get_401(api, path):
    response = api.get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_no_longer_works(client_for):
    client = client_for(UserFactory())

    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/cases/").status_code == 401
