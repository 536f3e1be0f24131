import pytest

from config.env import ImproperlyConfiguredEnv, env_bool, env_choice, env_int, env_list, env_str


def test_a_boolean_that_is_not_one_fails_loudly(monkeypatch):
    monkeypatch.setenv("SLID_FLAG", "maybe")

    with pytest.raises(ImproperlyConfiguredEnv, match="SLID_FLAG"):
        env_bool("SLID_FLAG")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("off", False), ("", False)])
def test_booleans_are_read(monkeypatch, raw, expected):
    monkeypatch.setenv("SLID_FLAG", raw)

    assert env_bool("SLID_FLAG") is expected


def test_a_number_that_is_not_one_fails_loudly(monkeypatch):
    monkeypatch.setenv("SLID_N", "ten")

    with pytest.raises(ImproperlyConfiguredEnv, match="SLID_N='ten' is not a whole number"):
        env_int("SLID_N", 1)


def test_a_choice_outside_the_list_fails_loudly(monkeypatch):
    monkeypatch.setenv("SLID_STORE", "ftp")

    with pytest.raises(ImproperlyConfiguredEnv, match="must be one of local, s3"):
        env_choice("SLID_STORE", "local", ("local", "s3"))


def test_a_secret_is_read_from_its_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n")
    monkeypatch.setenv("SLID_SECRET", "from-the-variable")
    monkeypatch.setenv("SLID_SECRET_FILE", str(secret))

    assert env_str("SLID_SECRET") == "from-the-file"


def test_lists_are_split_on_commas(monkeypatch):
    monkeypatch.setenv("SLID_HOSTS", "a.example, b.example,,")

    assert env_list("SLID_HOSTS", []) == ["a.example", "b.example"]
