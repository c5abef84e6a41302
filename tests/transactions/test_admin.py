"""The staff console: create, notices with progress, undertaking, data room, export with the
link shown once."""

import pytest

from piwarden.transactions.models import CorporateTransaction, Status
from tests.staff import staff_client

from .test_api import ALL

pytestmark = pytest.mark.django_db
ADMIN = "/admin/transactions/corporatetransaction"


def test_s_4_2_3_the_console_runs_a_transaction(
        acquirer_flow, make_person, immediate_tasks, smtp, sms_file,
        django_capture_on_commit_callbacks):
    people = [make_person() for _ in range(2)]
    staff = staff_client("transactions", *ALL)
    page = staff.get(f"{ADMIN}/add/")
    assert page.status_code == 200 and b"user.contact" in page.content
    created = staff.post(f"{ADMIN}/add/", {
        "title": "Merger", "kind": "merger", "parties": "Intron; Example",
        "categories": ["user.name", "user.contact"], "audience": "listed",
        "subject_ids": "\n".join(str(p.pk) for p in people)})
    assert created.status_code == 302, created.content
    tx = CorporateTransaction.objects.get()
    assert staff.get(f"{ADMIN}/{tx.pk}/change/").status_code == 200
    staff.post(f"{ADMIN}/{tx.pk}/notices/", {"do": "draft", "event_zh": "合并。",
                                             "event_en": "A merger."})
    preview = staff.post(f"{ADMIN}/{tx.pk}/notices/", {"do": "preview"})
    assert preview.status_code == 200 and b"@" not in preview.content
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"{ADMIN}/{tx.pk}/notices/", {"do": "start"})
    page = staff.get(f"{ADMIN}/{tx.pk}/notices/")
    assert page.status_code == 200 and b"100%" in page.content
    staff.post(f"{ADMIN}/{tx.pk}/undertaking/", {"reference": "UND-9",
                                                 "signed_on": "2026-02-01"})
    sample = staff.post(f"{ADMIN}/{tx.pk}/sample/", {"size": 2})
    assert sample["Content-Type"].startswith("text/csv")
    assert all(p.test_email not in sample.content.decode() for p in people)
    exported = staff.post(f"{ADMIN}/{tx.pk}/export/", {"do": "export"})
    assert exported.status_code == 200 and b"provision-link" in exported.content
    tx.refresh_from_db()
    assert tx.status == Status.EXPORTED


def test_s_4_2_3_the_console_shows_a_refused_export(make_transaction, make_person):
    tx = make_transaction([make_person()])
    staff = staff_client("transactions", *ALL)
    refused = staff.post(f"{ADMIN}/{tx.pk}/export/", {"do": "export"}, follow=True)
    assert refused.status_code == 200 and b"provision-link" not in refused.content
    assert CorporateTransaction.objects.get().status == Status.DRAFT


def test_s_4_2_3_console_steps_need_the_permission(make_transaction, make_person):
    tx = make_transaction([make_person()])
    viewer = staff_client("transactions", "view_corporatetransaction", name="viewer")
    for step in ("notices", "undertaking", "processing", "sample", "export"):
        assert viewer.get(f"{ADMIN}/{tx.pk}/{step}/").status_code == 403


def test_s_4_2_3_the_console_speaks_chinese(make_transaction, make_person):
    tx = make_transaction([make_person()])
    staff = staff_client("transactions", *ALL)
    page = staff.get(f"{ADMIN}/{tx.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "公司交易" in text and "数据室样本" in text


def test_s_4_2_3_the_console_cancels_a_transaction(make_transaction, make_person):
    tx = make_transaction([make_person()])
    staff = staff_client("transactions", *ALL)
    staff.post(f"{ADMIN}/", {"action": "cancel", "_selected_action": [tx.pk]})
    tx.refresh_from_db()
    assert tx.status == Status.CANCELLED
    assert staff.post(f"{ADMIN}/{tx.pk}/change/", {}).status_code == 403
