import pytest

from evidence.crimes import crimes
from evidence.models import Role
from tests.factories import UserFactory, make_area

pytestmark = pytest.mark.django_db


def test_the_crime_vocabulary_is_listed_and_filtered_by_article(client_for):
    client = client_for(UserFactory())

    everything = client.get("/api/v1/crimes/").json()
    article_7 = client.get("/api/v1/crimes/", {"article": "7"}).json()

    assert everything["count"] == 102
    assert article_7["count"] == 16
    assert {"code": "7(1)(g)-6", "article": "7", "title": "Crime against humanity of sexual violence"} in [
        {key: crime[key] for key in ("code", "article", "title")} for crime in article_7["results"]
    ]


def test_one_crime_by_its_code(client_for):
    client = client_for(UserFactory())

    assert client.get("/api/v1/crimes/8(2)(b)(ix)/").json()["title"] == "War crime of attacking protected objects"
    assert client.get("/api/v1/crimes/8(2)(z)/").status_code == 404


def test_the_vocabulary_counts_every_crime_of_articles_6_7_and_8():
    by_article: dict[str, int] = {}
    for crime in crimes().values():
        by_article[crime.article] = by_article.get(crime.article, 0) + 1
    paragraphs = {
        prefix: sum(code.startswith(prefix) for code in crimes())
        for prefix in ("8(2)(a)", "8(2)(b)", "8(2)(c)", "8(2)(e)")
    }

    assert by_article == {"6": 5, "7": 16, "8": 81}
    # 8(2)(b) and (e) include the crimes added by the amendments of 2010, 2017 and 2019.
    assert paragraphs == {"8(2)(a)": 11, "8(2)(b)": 38, "8(2)(c)": 7, "8(2)(e)": 25}
    assert crimes()["8(2)(a)(i)"].title == "War crime of wilful killing"
    assert [code for code in crimes() if code.startswith("7(1)(g)")] == [f"7(1)(g)-{n}" for n in range(1, 7)]
    assert sum(crime.amended_by is not None for crime in crimes().values()) == 10


def test_admin_areas_list_without_boundaries_and_read_one_as_a_feature(client_for):
    oblast = make_area("Київська", (29.0, 49.0, 32.0, 51.5))
    make_area("Бучанський", (29.8, 50.3, 30.5, 50.9), level="raion", parent=oblast)
    client = client_for(UserFactory())

    listing = client.get("/api/v1/admin-areas/", {"level": "raion"}).json()
    one = client.get(f"/api/v1/admin-areas/{oblast.pk}/").json()

    assert [area["name_uk"] for area in listing["results"]] == ["Бучанський"]
    assert "boundary" not in listing["results"][0]
    assert one["type"] == "Feature"
    assert one["geometry"]["type"] == "MultiPolygon"


def test_admin_areas_are_read_only(client_for, case_a, member_of):
    client = client_for(member_of(case_a, Role.LEAD))

    assert client.post("/api/v1/admin-areas/", {"name_uk": "x"}, format="json").status_code == 405


@pytest.mark.parametrize("path", ["/api/v1/crimes/", "/api/v1/admin-areas/", "/api/v1/persons/", "/api/v1/units/"])
def test_anonymous_requests_to_the_record_get_401(api, path):
    assert api.get(path).status_code == 401
