"""The public policy pages, the API and the staff console."""

import re

import pytest
from django.test import Client

from piwarden.catalog.models import Recipient
from piwarden.policy import services
from piwarden.policy.models import PolicyVersion, Status
from tests.policy.conftest import draft_next
from tests.staff import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(published, system_actor):
    Recipient.objects.create(key="partner.insurance", name_en="Insurance partners",
                             name_zh="保险合作伙伴", role="independent_handler",
                             status="draft", country="CN", position=999)
    draft_next(system_actor, None)
    return published, services.publish(actor=system_actor, version="2026.2")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_g_8_1_an_old_version_is_served_at_its_url_with_its_diff(two_versions):
    client = Client()
    old = client.get("/privacy/v/2026.1/")
    assert old.status_code == 200
    assert "Version 2026.1" in text(old) and "This is an archived version" in text(old)
    assert "Insurance partners" not in text(old)  # as it was published
    assert client.get("/privacy/v/2026.1/diff/").status_code == 200
    diff = client.get("/privacy/v/2026.2/diff/")
    assert diff.status_code == 200
    body = text(diff)
    assert "New recipient: Insurance partners." in body
    assert "major (3) the main recipients of personal information" in body
    assert 'href="/privacy/v/2026.1/"' in body
    current = text(client.get("/privacy/policy/"))
    assert "Version 2026.2" in current and "Insurance partners" in current
    versions = text(client.get("/privacy/versions/"))
    assert 'href="/privacy/v/2026.1/"' in versions and 'href="/privacy/v/2026.2/diff/"' in versions


def test_g_8_1_the_policy_reads_in_chinese_controlling_and_english_without_raw_keys(
        published):
    zh = text(Client(headers={"accept-language": "zh-hans"}).get("/privacy/policy/"))
    en = text(Client(headers={"accept-language": "en"}).get("/privacy/policy/"))
    assert "英创科技（中国）有限公司" in zh and "10个工作日" in zh
    assert "简体中文文本为准" in zh
    assert "Intron Technology (China) Co., Ltd." in en
    assert "within 10 business days" in en and "controlling version" in en
    for page in (zh, en):
        for raw in ("lead.callback", "independent_handler", "account_lifetime", "P3Y",
                    "user.contact.phone"):
            assert raw not in page
    assert "账户存续期间" in zh and "As long as your account exists" in en


def test_g_8_1_a_draft_is_not_public(db, system_actor):
    services.create_draft(actor=system_actor)
    client = Client()
    assert client.get("/privacy/v/2026.1/").status_code == 404
    assert client.get("/privacy/v/2026.1/diff/").status_code == 404
    assert client.get("/privacy/policy/").status_code == 404
    assert client.get("/api/v1/policy/current").status_code == 404


def test_the_api_serves_published_versions_to_anyone(two_versions):
    client = Client()
    current = client.get("/api/v1/policy/current").json()
    assert current["version"] == "2026.2" and current["major"] == [3]
    assert current["snapshot"]["rights"]["deadline_business_days"] == 10
    assert [v["version"] for v in client.get("/api/v1/policy/versions").json()] == [
        "2026.2", "2026.1"]
    diff = client.get("/api/v1/policy/versions/2026.2/diff").json()
    assert diff["changes"][0]["words"]["zh-hans"] == "新增接收方：保险合作伙伴。"


def test_g_8_2_the_api_answers_409_requires_explicit_consent(published, terms):
    from tests.policy.conftest import release

    release("2026.2")
    terms["rights"]["deadline_business_days"] = 15
    snapshot_terms = terms
    staff = staff_client("policy", "add_policyversion", "change_policyversion",
                         "view_policyversion")
    from unittest import mock

    with mock.patch("piwarden.policy.snapshot.read_terms", return_value=snapshot_terms):
        drafted = staff.post("/api/v1/policy/drafts")
    assert drafted.status_code == 201
    assert drafted.json()["reductions"] == ["rights.deadline_business_days"]
    refused = staff.post("/api/v1/policy/drafts/2026.2/publish", content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "REQUIRES_EXPLICIT_CONSENT"
    assert PolicyVersion.objects.get(version="2026.2").status == Status.DRAFT


def test_publishing_needs_the_permission(published):
    from tests.policy.conftest import release

    release("2026.2")
    viewer = staff_client("policy", "view_policyversion", name="viewer")
    assert viewer.post("/api/v1/policy/drafts").status_code == 403
    assert Client().post("/api/v1/policy/drafts").status_code == 401


def test_the_console_lists_versions_with_their_diff_and_publishes_through_the_service(
        published):
    from tests.policy.conftest import release

    staff = staff_client("policy", "view_policyversion", "change_policyversion")
    release("2026.2")
    staff.post("/admin/policy/policyversion/", {"action": "draft_from_catalog"})
    draft = PolicyVersion.objects.get(version="2026.2")
    page = staff.get(f"/admin/policy/policyversion/{draft.pk}/change/")
    assert page.status_code == 200 and b"2026.2" in page.content
    staff.post("/admin/policy/policyversion/",
               {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.published_by.startswith("staff:")
