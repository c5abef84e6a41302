"""The staff console's login (hostile test, issue 16): lock-out before hashing, failures
audited, an alert when a lock-out starts."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from piwarden.alerts.models import Alert
from piwarden.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff_user():
    return get_user_model().objects.create_user("officer", "po@operator.test", PASSWORD,
                                                is_staff=True)


def attempt(password, ip="198.51.100.7", username="officer"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(LOGIN, {"username": username, "password": password,
                                   "next": "/admin/"})
    return response.status_code == 302


def test_five_wrong_passwords_lock_the_staff_login_even_for_the_right_one(staff_user):
    assert not any(attempt("wrong") for _ in range(5))
    assert not attempt(PASSWORD)
    failed = AuditEvent.objects.filter(action="staff.login_failed")
    assert failed.count() == 5 and failed.last().detail["ip"] == "198.51.100.0/24"
    assert Alert.objects.filter(kind="staff.login_locked").count() == 1


def test_a_locked_out_staff_attempt_is_refused_before_hashing(staff_user, monkeypatch):
    for _ in range(5):
        attempt("wrong")
    hashed = []
    monkeypatch.setattr(type(staff_user), "check_password",
                        lambda *a, **k: hashed.append(1) or True)
    assert not attempt(PASSWORD) and hashed == []
    assert AuditEvent.objects.filter(action="staff.login_failed").count() == 5


def test_twenty_failures_from_one_address_lock_it(staff_user):
    for n in range(20):
        attempt("wrong", username=f"someone{n}")
    assert not attempt(PASSWORD)
    assert attempt(PASSWORD, ip="203.0.113.9")
    assert AuditEvent.objects.filter(action="staff.login").count() == 1


def test_success_clears_the_usernames_failures(staff_user):
    for _ in range(4):
        attempt("wrong")
    assert attempt(PASSWORD)
    for _ in range(4):
        attempt("wrong")
    assert attempt(PASSWORD)
