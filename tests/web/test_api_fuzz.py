"""A property-based fuzz of every operation of the OpenAPI document (schemathesis).

Each operation gets a few valid and a few invalid requests generated from its documented
parameters and body, sent through the real WSGI application on this run's database, signed
in as the operation needs (a person's token, an API key with every scope, or a staff
superuser's session with its CSRF token). It fails on any 5xx answer and on any 2xx answer
that is not documented or does not match its documented schema. Each generated JSON body is
also sent once more "poisoned" (NUL and a lone surrogate in every string, 2**64 for every
integer: what reached 500s in issue 16), which must not answer 5xx. Hypothesis is derandomized
and keeps no example database, so a run on CI is the same run as on a developer's machine.
"""

import json

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client as WsgiClient

from piwarden.accounts import services as accounts
from piwarden.api import api
from piwarden.clients import services as clients
from piwarden.clients.models import Scope
from tests.accounts.conftest import (  # noqa: F401  (fixtures)
    account_settings,
    inbox,
    make_account,
    sms,
    smtp_server,
)

EXAMPLES = 2  # per operation and mode: the ~170 operations stay near 90 s per database
CSRF = "fuzzcsrftokenfuzzcsrftokenfuzzcs"  # 32 characters: an unmasked CSRF secret

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture
def wsgi_app():
    """The real WSGI application, kept from closing the test's connection after each request
    (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(make_account, system_actor):  # noqa: F811
    """The headers and cookies of each security scheme the document names."""
    account = make_account(bind=False)
    _token, person = accounts.create_token(account=account, name="fuzz")
    _client, key = clients.create_client(actor=system_actor, name="fuzz",
                                         scopes=[scope.value for scope in Scope])
    staff = get_user_model().objects.create_superuser("fuzz-staff", "fuzz@example.cn", None)
    browser = Client()
    browser.force_login(staff)
    session = {"sessionid": browser.cookies["sessionid"].value, "csrftoken": CSRF}
    return {
        "AccountTokenAuth": ({"Authorization": f"Bearer {person}"}, {}),
        "ApiKeyAuth": ({"Authorization": f"Bearer {key}"}, {}),
        "CounterpartyKeyAuth": ({"Authorization": f"Bearer {key}"}, {}),
        "StaffSessionAuth": ({"X-CSRFToken": CSRF}, session),
        None: ({}, {}),
    }


def _scheme(operation) -> str | None:
    security = operation.definition.raw.get("security") or [{}]
    return next(iter(security[0]), None)


@pytest.mark.django_db
def test_api_fuzz_no_5xx_and_2xx_match_their_schema(credentials, wsgi_app):
    """Generated requests to every operation never answer 5xx, and every 2xx is documented
    and matches its documented schema (all operations run; the failures are listed)."""
    failures = []
    for operation in OPERATIONS:
        try:
            _fuzz(operation, *credentials[_scheme(operation)], wsgi_app)
        except (AssertionError, FailureGroup) as failure:
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)


def _poisoned(value):
    if isinstance(value, dict):
        return {key: _poisoned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_poisoned(item) for item in value]
    if isinstance(value, str):
        return value + "\x00\ud800"
    if isinstance(value, int) and not isinstance(value, bool):
        return 2**64
    return value


def _fuzz(operation, headers, cookies, app) -> None:
    strategy = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    @settings(max_examples=2 * EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case):
        response = case.call(app=app, base_url="http://testserver", headers=headers,
                             cookies=cookies)
        case.validate_response(response, checks=[not_a_server_error,
                                                 response_schema_conformance])
        if 200 <= response.status_code < 300:  # a success it does not document is a mismatch
            assert str(response.status_code) in operation.definition.raw["responses"], (
                f"{response.status_code} is not documented for {operation.label}")
        if case.media_type == "application/json" and isinstance(case.body, dict | list):
            # The same body with what once reached 500s in every leaf: NUL and a lone surrogate
            # in each string, an integer past 64 bits for each number (issue 16).
            cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
            poisoned = WsgiClient(app).open(
                case.formatted_path, method=case.method, query_string=case.query or {},
                data=json.dumps(_poisoned(case.body)), content_type="application/json",
                headers={**headers, **({"Cookie": cookie} if cookie else {})})
            assert poisoned.status_code < 500, f"{poisoned.status_code} for a poisoned body"

    check()
