"""A POST with bad credentials is answered 401 JSON, not 403 "CSRF check Failed" (issue 16):
the session auth checks CSRF only for a request its session authenticates."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from piwarden.accounts.models import Account
from piwarden.subjects.models import Subject, SubjectKind

pytestmark = pytest.mark.django_db

POSTS = [
    "/api/v1/collection/events",
    "/api/v1/consent/decisions",
    "/api/v1/consent/events",
    "/api/v1/incidents/",
    "/api/v1/account/logout",
    "/api/v1/account/2fa/setup",
    "/api/v1/consent/me/purposes",
]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("headers", [
    {}, {"HTTP_AUTHORIZATION": "Bearer pwk_nope_nope"},
    {"HTTP_AUTHORIZATION": "Bearer pwa_000000000000_nope"}, {"HTTP_AUTHORIZATION": "Basic eDp5"},
])
def test_bad_or_absent_credentials_on_a_post_answer_401_json(path, headers):
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {}, content_type="application/json", **headers)
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("path", ["/api/v1/collection/events", "/api/v1/incidents/",
                                  "/api/v1/consent/decisions"])
def test_a_staff_session_without_the_csrf_token_is_still_refused_403_json(path):
    staff = get_user_model().objects.create_user("staffer", password="x" * 12, is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(path, {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "CSRF_FAILED"


def test_a_person_session_without_the_csrf_token_is_still_refused_403_json():
    user = get_user_model().objects.create_user("p-1")
    subject = Subject.objects.create(kind=SubjectKind.ACCOUNT_HOLDER)
    Account.objects.create(user=user, subject=subject)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/account/logout", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "CSRF_FAILED"
