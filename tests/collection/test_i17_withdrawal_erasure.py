"""Issue 17 point 10: withdrawing location consent erases the location events held only on
it (R-6.4, PIPL Art. 47), audited; the erasure reports how many went."""

import pytest

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.collection.models import Event
from piwarden.consent import erasure
from piwarden.consent import services as consent
from piwarden.consent.models import ScheduledErasure
from tests.collection.conftest import NOTICE, URL, event

pytestmark = pytest.mark.django_db


def _locations(api, subject, n):
    body = {"events": [event(f"loc{i}", kind="location", subject=subject,
                             latitude=31.23 + i / 100, longitude=121.47, accuracy_m=20)
                       for i in range(n)]}
    response = api("collection:write").post(URL, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["stored"] == n


def test_i17_10_withdrawing_location_consent_erases_the_location_events(api, person, grant):
    grant(person, "location.service")
    _locations(api, person, 3)
    page = api("collection:write").post(URL, {"events": [event("pv", subject=person, url="/")]},
                                        content_type="application/json")
    assert page.json()["stored"] == 1  # an access log, not held on the location consent
    consent.withdraw(actor=Actor.person(person), subject=person, purpose="location.service",
                     scope="separate.sensitive", notice_text=NOTICE, channel="web")
    scheduled = ScheduledErasure.objects.get(subject=person, purpose="location.service")
    assert "user.location.precise" in scheduled.categories
    outcome = erasure.erase(actor=Actor.system("tests"), erasure=scheduled)
    assert outcome["collection"] == 3
    assert not Event.objects.filter(subject=person, kind="location").exists()
    assert Event.objects.filter(subject=person, kind="page_view").count() == 1
    scheduled.refresh_from_db()
    assert scheduled.status == "done" and scheduled.outcome["collection"] == 3
    record = AuditEvent.objects.filter(action="collection.erased", subject_id=person.pk).get()
    assert record.detail["erased"] == 3 and record.detail["withdrawn_purpose"] == \
        "location.service"


def test_a_regrant_before_the_due_date_cancels_the_location_erasure(api, person, grant):
    grant(person, "location.service")
    _locations(api, person, 2)
    consent.withdraw(actor=Actor.person(person), subject=person, purpose="location.service",
                     scope="separate.sensitive", notice_text=NOTICE, channel="web")
    grant(person, "location.service")
    assert erasure.run_due(actor=Actor.system("tests")) == 0
    assert Event.objects.filter(subject=person, kind="location").count() == 2
