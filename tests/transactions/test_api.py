"""The legal team's API: the Art. 22 steps end to end, refusals as 4xx JSON, permissions."""

import pytest
from django.test import Client

from tests.staff import staff_client

from .conftest import EVENT

pytestmark = pytest.mark.django_db
BASE = "/api/v1/transactions"
ALL = ("view_corporatetransaction", "add_corporatetransaction",
       "change_corporatetransaction", "export_corporatetransaction",
       "sample_corporatetransaction")


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_s_4_2_3_staff_run_a_transaction_through_the_api(
        acquirer_flow, make_person, immediate_tasks, smtp, sms_file,
        django_capture_on_commit_callbacks):
    people = [make_person() for _ in range(2)]
    staff = staff_client("transactions", *ALL)
    created = _post(staff, f"{BASE}/", {
        "title": "Sale of the shop business", "kind": "asset_sale",
        "parties": "Intron; Example Acquirer", "categories": ["user.name", "user.contact"],
        "audience": "listed", "subject_ids": [str(p.pk) for p in people]})
    assert created.status_code == 201, created.content
    tx = created.json()
    assert tx["policy_version"] and tx["listed"] == 2 and tx["status"] == "draft"
    url = f"{BASE}/{tx['id']}"
    refused = _post(staff, f"{url}/export")
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        409, "TRANSACTION_NOTICES_INCOMPLETE")
    drafted = _post(staff, f"{url}/notices", {"event_zh": EVENT["zh-hans"],
                                              "event_en": EVENT["en"],
                                              "channels": ["email", "sms", "site"]})
    assert drafted.status_code == 201, drafted.content
    preview = _post(staff, f"{url}/notices/preview").json()
    assert preview["count"] == 2
    assert "@" not in str(preview["sample"])
    with django_capture_on_commit_callbacks(execute=True):
        started = _post(staff, f"{url}/notices/start")
    assert started.status_code == 200, started.content
    progress = staff.get(f"{url}/progress").json()
    assert (progress["status"], progress["notices_complete"]) == ("notices_complete", True)
    assert progress["campaign"]["handed_out"] == 2
    assert _post(staff, f"{url}/undertaking", {"reference": "UND-1",
                                               "signed_on": "2026-01-05"}).status_code == 200
    sample = _post(staff, f"{url}/data-room-sample", {"size": 2})
    assert sample.status_code == 200 and sample["Content-Type"].startswith("text/csv")
    assert all(p.test_email not in sample.content.decode() for p in people)
    exported = _post(staff, f"{url}/export")
    assert exported.status_code == 201, exported.content
    body = exported.json()
    assert body["provided"] == 2 and body["download_url"]
    assert staff.get(f"{url}").json()["status"] == "exported"


def test_s_4_2_3_bad_input_is_a_4xx_json_error(acquirer_flow):
    staff = staff_client("transactions", *ALL)
    bad = _post(staff, f"{BASE}/", {"title": "x", "kind": "takeover", "parties": "A",
                                    "categories": ["user.name"]})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "KIND_INVALID")
    bad = _post(staff, f"{BASE}/", {"title": "x", "kind": "merger", "parties": "A",
                                    "categories": ["user.name"], "audience": "listed"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "SUBJECTS_MISSING")
    assert _post(staff, f"{BASE}/", {"title": "x"}).status_code == 422
    assert staff.get(f"{BASE}/999999").status_code == 404


def test_s_4_2_3_only_staff_with_the_permission_reach_it(make_transaction, make_person):
    tx = make_transaction([make_person()])
    assert Client().get(f"{BASE}/{tx.pk}").status_code == 401
    viewer = staff_client("transactions", "view_corporatetransaction", name="viewer")
    assert viewer.get(f"{BASE}/{tx.pk}").status_code == 200
    for path, body in (("export", None), ("data-room-sample", {"size": 1}),
                       ("undertaking", {"reference": "U", "signed_on": "2026-01-01"})):
        refused = _post(viewer, f"{BASE}/{tx.pk}/{path}", body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "FORBIDDEN")
