"""The one input check of the API (``piwarden.web.api_input``) and the OpenAPI document's names.

Each malformed request below reached a 500 before the check (on SQLite, PostgreSQL or both);
each is now a 400 JSON error with a machine-readable code, on both databases.
"""

import json
import uuid

import pytest
from django.test import Client

from piwarden.accounts import services as accounts
from piwarden.api import api
from piwarden.clients import services as clients
from piwarden.clients.models import Scope
from piwarden.payments.models import CreditBalance
from piwarden.payments.services import MAX_BALANCE_MINOR
from piwarden.web import api_input
from tests.accounts.conftest import (  # noqa: F401  (fixtures)
    account_settings,
    inbox,
    make_account,
    sms,
    smtp_server,
)

SURROGATE, NUL = "\ud800", "\x00"


@pytest.fixture
def site(system_actor):
    """A website back-end holding a key with every scope."""
    _, key = clients.create_client(actor=system_actor, name=f"site-{uuid.uuid4()}",
                                   scopes=[scope.value for scope in Scope])
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def person_api(make_account):  # noqa: F811
    account = make_account(bind=False)
    _, token = accounts.create_token(account=account, name="input tests")
    http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    http.account = account
    return http


def send(http, method, url, body):
    """``body`` as JSON text (non-ASCII escaped, so a lone surrogate is valid JSON text)."""
    text = body if isinstance(body, str) else json.dumps(body)
    return getattr(http, method)(url, text, content_type="application/json")


def assert_refused(response, code):
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [SURROGATE, NUL, f"a{SURROGATE}b", f"a{NUL}b"])
def test_lone_surrogate_and_nul_in_account_and_payments_strings_are_refused(
        person_api, site, person, bad):
    """A lone surrogate or a NUL in any string of the account and payments APIs is a 400."""
    assert_refused(send(Client(), "post", "/api/v1/account/login",
                        {"identifier": bad, "password": "x"}), "INVALID_CHARACTER")
    assert_refused(send(person_api, "post", "/api/v1/account/tokens", {"name": bad}),
                   "INVALID_CHARACTER")
    assert_refused(send(person_api, "put", "/api/v1/payments/me/profile",
                        {"consent": True, "remarks": bad}), "INVALID_CHARACTER")
    assert_refused(send(site, "post", "/api/v1/payments/credit",
                        {"subject": str(person.pk), "amount_minor": 100,
                         "provider_reference": bad}), "INVALID_CHARACTER")
    assert not CreditBalance.objects.filter(subject=person).exists()


@pytest.mark.django_db
def test_nul_in_consent_partners_rights_and_tokens_is_refused(site, person_api, person):
    """NUL reached PostgreSQL text columns (a 500 there); a key holding one is refused too."""
    for url, body in [
        ("/api/v1/consent/banner/choices",
         {"visitor_id": str(uuid.uuid4()), "policy_version": f"v{NUL}", "inventory": "x",
          "action": "accept_all"}),
        ("/api/v1/partners/imports", {"external_id": f"p{NUL}1"}),
        ("/api/v1/rights/requests", {"subject": str(person.pk), "type": "access",
                                     "text": f"please{NUL}"}),
        ("/api/v1/consent/decisions", {f"key{NUL}": 1}),
    ]:
        assert_refused(send(site, "post", url, body), "INVALID_CHARACTER")
    assert_refused(send(person_api, "post", "/api/v1/account/tokens", {"name": f"t{NUL}"}),
                   "INVALID_CHARACTER")


@pytest.mark.django_db
def test_nul_in_a_query_string_is_refused(site):
    response = site.get("/api/v1/rights/requests", {"status": f"open{NUL}"})
    assert_refused(response, "INVALID_CHARACTER")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/payments/credit", "/api/v1/rights/requests"])
def test_json_nested_50000_deep_is_refused(site, url):
    assert_refused(send(site, "post", url, "[" * 50_000 + "]" * 50_000), "INPUT_TOO_DEEP")
    nested = json.dumps({"subject": {"a": "[" * 31 + "]" * 31}}).replace('"[', "[")
    nested = nested.replace(']"', "]")  # 33 levels: the object, "subject", "a" and 31 lists
    assert_refused(send(site, "post", url, nested), "INPUT_TOO_DEEP")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [str(2**63), str(-(2**63) - 1), str(2**64), "1" + "0" * 5000],
                         ids=["2**63", "-2**63-1", "2**64", "10**5000"])
def test_integers_beyond_64_bits_are_refused(site, person, amount):
    text = '{"subject": "%s", "amount_minor": %s}' % (person.pk, amount)  # noqa: UP031
    assert_refused(send(site, "post", "/api/v1/payments/credit", text), "NUMBER_OUT_OF_RANGE")


@pytest.mark.django_db
def test_largest_64_bit_integer_is_accepted_and_balance_past_it_is_refused(site, person):
    """A top-up to exactly 2**63-1 is kept; one more minor unit is a 422, balance unchanged."""
    credit = {"subject": str(person.pk), "amount_minor": MAX_BALANCE_MINOR}
    assert send(site, "post", "/api/v1/payments/credit", credit).status_code == 201
    response = send(site, "post", "/api/v1/payments/credit", {**credit, "amount_minor": 1})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "BALANCE_TOO_LARGE"
    assert CreditBalance.objects.get(subject=person).amount_minor == MAX_BALANCE_MINOR


@pytest.mark.parametrize("text, code", [
    (b"{", "INVALID_JSON"),
    (b"\xff\xfe{}", "INVALID_JSON"),
    (b'{"a": NaN}', "INVALID_JSON"),
    (b'{"a": 1e999}', "NUMBER_OUT_OF_RANGE"),
    (b'{"\\ud800": 1}', "INVALID_CHARACTER"),
    (b"[" * 33 + b"]" * 33, "INPUT_TOO_DEEP"),
])
def test_load_json_refuses_with_a_code(text, code):
    with pytest.raises(api_input.ApiError) as refused:
        api_input.load_json(text)
    assert (refused.value.status, refused.value.code) == (400, code)


def test_load_json_keeps_what_is_allowed():
    text = json.dumps({"a": [2**63 - 1, -(2**63), 1.5, "中文 ☃ 😀"]}).encode()
    assert api_input.load_json(text) == {"a": [2**63 - 1, -(2**63), 1.5, "中文 ☃ 😀"]}
    assert api_input.load_json(b"[" * 32 + b"]" * 32)


# --- the OpenAPI document --------------------------------------------------------------------

def _models(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _models(sub)


def test_openapi_component_names_are_unique():
    """ninja names a component by its class name: two models of one name overwrite each
    other in the document, so every piwarden pydantic model has its own name."""
    from pydantic import BaseModel

    api.get_openapi_schema()  # imports every router and its schemas
    seen: dict[str, str] = {}
    clashes = []
    for model in set(_models(BaseModel)):
        if not model.__module__.startswith("piwarden."):
            continue
        where = f"{model.__module__}.{model.__qualname__}"
        if seen.setdefault(model.__name__, where) != where:
            clashes.append(f"{model.__name__}: {seen[model.__name__]} and {where}")
    assert not clashes, clashes


def _served_document() -> dict:
    """The document as /api/v1/openapi.json serves it (JSON: status codes are strings)."""
    return json.loads(json.dumps(api.get_openapi_schema()))


def _component(document, ref_holder) -> dict:
    ref = ref_holder.get("$ref") or ref_holder["items"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_account_me_and_consent_me_events_document_their_own_schemas():
    from piwarden.accounts.schemas import ProfileOut
    from piwarden.consent.schemas import EventOut

    document = _served_document()
    paths = document["paths"]
    me = paths["/api/v1/account/me"]["get"]["responses"]["200"]["content"]["application/json"]
    assert set(_component(document, me["schema"])["properties"]) == set(ProfileOut.model_fields)
    events = paths["/api/v1/consent/me/events"]["get"]["responses"]["200"]["content"]
    assert (set(_component(document, events["application/json"]["schema"])["properties"])
            == set(EventOut.model_fields))


def test_catalog_export_is_documented_as_a_yaml_document():
    document = _served_document()
    content = document["paths"]["/api/v1/catalog/export.yaml"]["get"]["responses"]["200"][
        "content"]
    assert list(content) == ["application/yaml"]  # not JSON, and not a JSON string
    assert content["application/yaml"]["schema"]["type"] == "object"


def test_nul_in_an_api_path_is_refused(client):
    """A NUL in a path parameter answers 400 with the input check's code, never a 500."""
    for path in ("/api/v1/catalog/categories/a%00b", "/api/v1/partners/records/%00"):
        answer = client.get(path)
        assert answer.status_code == 400, path
        assert answer.json()["error"]["code"] == "INVALID_CHARACTER"
