"""Login protection: lockout after repeated failures, strong passwords."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

PASSWORD = "a sound pass phrase 2023"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("qa", password=PASSWORD, is_staff=True)


def login(client, password):
    return client.post(
        reverse("admin:login"), {"username": "qa", "password": password, "next": "/admin/"}, REMOTE_ADDR="10.0.0.7"
    )


def test_a_good_login_works(staff, client):
    assert login(client, PASSWORD).status_code == 302


def test_repeated_failures_lock_the_account_out(staff, client, settings):
    """GIVEN a staff account
    WHEN someone fails to log in AXES_FAILURE_LIMIT times from one address
    THEN even the right password is refused from there, with a clear message."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong").status_code == 200  # the form again, with an error
    locked = login(client, "wrong")
    assert locked.status_code == 429
    response = login(client, PASSWORD)
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("weak", ["password123", "12345678901234", "short1", "qa-qa-qa-qa"])
def test_weak_passwords_are_refused(staff, weak):
    with pytest.raises(ValidationError):
        validate_password(weak, user=staff)
    validate_password(PASSWORD, user=staff)
