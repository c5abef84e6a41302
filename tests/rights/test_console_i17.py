"""The rights requests in the console (issue 17 point 9): staff wording, China time, no raw
JSON."""

import datetime

import pytest
from django.utils import timezone

from piwarden.rights.models import RequestEvent, RightsRequest

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def _request(person, **kwargs):
    return RightsRequest.objects.create(
        subject=person, type=kwargs.pop("type", "withdrawal"), channel="privacy_center",
        due_date=timezone.localdate() + datetime.timedelta(days=10), **kwargs)


def test_i17_9_rights_history_is_in_china_time_and_params_are_words(person, admin_client):
    """The history shows China time (a step at 20:30 UTC is 04:30 next day), statuses in
    words, and the parameters as words with the key beside them, never raw JSON."""
    req = _request(person, params={"lang": "en", "purpose": "marketing.email",
                                   "scope": "general"},
                   received_at=datetime.datetime(2026, 11, 2, 20, 30, tzinfo=UTC))
    RequestEvent.objects.create(request=req, status_to="received", actor="person",
                                at=datetime.datetime(2026, 11, 2, 20, 30, tzinfo=UTC))
    RequestEvent.objects.create(request=req, status_from="received", status_to="in_progress",
                                actor="system", at=datetime.datetime(2026, 11, 3, 1, 5,
                                                                     tzinfo=UTC))
    page = admin_client.get(f"/admin/rights/rightsrequest/{req.pk}/change/").content.decode()
    assert "2026-11-03 04:30" in page and "2026-11-03 09:05" in page
    assert "2026-11-02 20:30" not in page and "2026-11-03 01:05" not in page
    assert "In progress" in page and ">in_progress<" not in page
    assert '{"lang"' not in page and "{&quot;lang&quot;" not in page
    assert "Language of the replies: English <code>en</code>" in page
    assert "<code>marketing.email</code>" in page


def test_i17_9_staff_see_withdrawn_by_the_person(person, admin_client):
    """Staff see "Withdrawn by the person", never the person-facing "Withdrawn by you"."""
    req = _request(person, type="access", status="withdrawn")
    RequestEvent.objects.create(request=req, status_from="received", status_to="withdrawn",
                                actor="person")
    listing = admin_client.get("/admin/rights/rightsrequest/").content.decode()
    detail = admin_client.get(f"/admin/rights/rightsrequest/{req.pk}/change/").content.decode()
    for page in (listing, detail):
        assert "Withdrawn by the person" in page
        assert "Withdrawn by you" not in page
    assert str(person.pk)[:8] in listing


def test_i17_9_rights_console_in_chinese(person, admin_client):
    req = _request(person, type="access", status="withdrawn", params={"lang": "zh-hans"})
    admin_client.cookies["django_language"] = "zh-hans"
    page = admin_client.get(f"/admin/rights/rightsrequest/{req.pk}/change/",
                            headers={"accept-language": "zh-hans"}).content.decode()
    assert "本人已撤回" in page and "回复语言：简体中文 <code>zh-hans</code>" in page
    assert "处理记录（北京时间）" in page
