"""Settings read from the environment: a clean production check, and loud failures naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from config.env import env_broker, env_database, env_int

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET_KEY = "k3Jx9vQ2-production-test-key-mZ7pW4rT8yB1nL6hD0sF5gA"


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """manage.py in a fresh process with only the given variables (plus PATH and a scratch folder)."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PLN123_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production(**extra: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": GOOD_SECRET_KEY,
        "ALLOWED_HOSTS": "example.org",
        **extra,
    }


def test_production_with_only_secret_key_and_hosts_passes_the_deploy_check(tmp_path):
    """
    GIVEN production settings and nothing in the environment but SECRET_KEY and ALLOWED_HOSTS
    WHEN `manage.py check --deploy --fail-level WARNING` runs
    THEN it finds nothing, not even a warning.
    """
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production(), tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_secret_key_fails_naming_it(tmp_path):
    env = production()
    del env["SECRET_KEY"]
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_fails_naming_it(tmp_path):
    env = production()
    del env["ALLOWED_HOSTS"]
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://user@db.example.org/pln123"),
        ("CELERY_BROKER_URL", "http://broker.example.org/"),
        ("PLN123_CHUNK_SIZE", "a hundred"),
    ],
)
def test_a_bad_value_stops_manage_py_naming_the_variable(tmp_path, variable, value):
    result = manage("check", env=production(**{variable: value}), tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


@pytest.mark.parametrize(
    "value",
    ["mysql://user@db.example.org/pln123", "not a url", "http://db.example.org/x"],
    ids=["unsupported-engine", "no-scheme", "unknown-scheme"],
)
def test_env_database_rejects_a_bad_url_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("DATABASE_URL", value)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env_database("DATABASE_URL", Path("/nowhere/db.sqlite3"))


def test_env_database_accepts_postgres_and_defaults_to_sqlite(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://pln:secret@db.example.org:5433/pln123")
    config = env_database("DATABASE_URL", Path("/nowhere/db.sqlite3"))
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example.org", 5433, "pln123")

    monkeypatch.delenv("DATABASE_URL")
    config = env_database("DATABASE_URL", Path("/nowhere/db.sqlite3"))
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/nowhere/db.sqlite3"


@pytest.mark.parametrize("value", ["http://broker.example.org/", "localhost:6379", "sqs://queue"])
def test_env_broker_rejects_an_unsupported_url_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("CELERY_BROKER_URL", value)
    with pytest.raises(ImproperlyConfigured, match="CELERY_BROKER_URL"):
        env_broker("CELERY_BROKER_URL")


@pytest.mark.parametrize("value", ["redis://127.0.0.1:6379/0", "amqp://guest:guest@127.0.0.1:5672//", "filesystem://"])
def test_env_broker_accepts_the_supported_brokers(monkeypatch, value):
    monkeypatch.setenv("CELERY_BROKER_URL", value)
    assert env_broker("CELERY_BROKER_URL") == value


def test_env_broker_is_empty_when_unset(monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    assert env_broker("CELERY_BROKER_URL") == ""


@pytest.mark.parametrize("value", ["a hundred", "1.5", "0x10"])
def test_env_int_rejects_a_non_integer_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("PLN123_CHUNK_SIZE", value)
    with pytest.raises(ImproperlyConfigured, match="PLN123_CHUNK_SIZE"):
        env_int("PLN123_CHUNK_SIZE", 100, minimum=1)


def test_env_int_enforces_the_minimum_and_reads_good_values(monkeypatch):
    monkeypatch.setenv("PLN123_CHUNK_SIZE", "0")
    with pytest.raises(ImproperlyConfigured, match="PLN123_CHUNK_SIZE"):
        env_int("PLN123_CHUNK_SIZE", 100, minimum=1)
    monkeypatch.setenv("PLN123_CHUNK_SIZE", " 250 ")
    assert env_int("PLN123_CHUNK_SIZE", 100, minimum=1) == 250
    monkeypatch.delenv("PLN123_CHUNK_SIZE")
    assert env_int("PLN123_CHUNK_SIZE", 100, minimum=1) == 100


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """makemigrations finds nothing to write: every model change has its migration."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
