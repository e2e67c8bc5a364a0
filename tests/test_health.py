"""The health endpoints: liveness, and readiness of the database and the broker."""

import pytest
from django.test import override_settings

from config.celery import app as celery_app

CLOSED_BROKER_URL = "redis://127.0.0.1:1/0"  # port 1: nothing listens there


@pytest.fixture
def filesystem_broker(tmp_path, monkeypatch):
    """The embedded broker in a scratch folder, whatever the environment says."""
    queue, control = tmp_path / "broker" / "queue", tmp_path / "broker" / "control"
    queue.mkdir(parents=True)
    control.mkdir()
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setitem(celery_app.conf, "broker_url", "filesystem://")
    monkeypatch.setitem(
        celery_app.conf,
        "broker_transport_options",
        {"data_folder_in": str(queue), "data_folder_out": str(queue), "control_folder": str(control)},
    )
    with override_settings(CELERY_BROKER_URL="filesystem://"):
        yield


@pytest.fixture
def closed_broker(monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setitem(celery_app.conf, "broker_url", CLOSED_BROKER_URL)
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    with override_settings(CELERY_BROKER_URL=CLOSED_BROKER_URL):
        yield


def test_live_answers_without_checking_anything(client):
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_is_ok_on_the_embedded_filesystem_broker(client, filesystem_broker):
    response = client.get("/health/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["broker"] == "filesystem"


@pytest.mark.django_db
def test_health_is_503_naming_the_broker_when_it_is_down(client, closed_broker):
    """
    GIVEN CELERY_BROKER_URL names a Redis port where nothing listens
    WHEN /health/ is asked
    THEN it answers 503, the database still ok, the broker check carrying the connection error.
    """
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"
    assert "refused" in body["checks"]["broker"].lower() or "error" in body["checks"]["broker"].lower()
    assert body["broker"] == "redis"
