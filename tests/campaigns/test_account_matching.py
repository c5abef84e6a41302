"""An account holder's campaign entries and requests in an export and an erasure of the
account: the unclaimed ones recorded with the account's *verified* phone go with it, another
person's stay, and an unverified contact matches nothing."""

import pytest

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.campaigns.models import CampaignEntry
from piwarden.consent import services as consent
from piwarden.leads import services as leads
from piwarden.leads.models import Lead
from piwarden.subjectdata import services as subjectdata
from piwarden.subjects import registry
from piwarden.subjects.models import SubjectStatus
from piwarden.vault import services as vault
from piwarden.vault.models import DataKey, VaultValue

from .factories import SCAN_SECRET, campaign, entry

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")
OTHER_PHONE = "+8613100131000"


def _source():
    return next(s for s in registry.sources() if s.name == "campaigns.entries")


def _lead(phone, name):
    return leads.submit(submission=leads.Submission(phone=phone, name=name, message="Call me"),
                        contact_ok=True, notice_version=consent.policy_version(),
                        channel="api")


@pytest.fixture
def records(account):
    """The account holder's unclaimed entry and request (its verified phone), and another
    person's request and entry (another phone)."""
    camp = campaign()
    mine = entry(camp, phone=account.test_phone, email="", name="王芳")
    my_lead = _lead(account.test_phone, "Wang Fang")
    other_lead = _lead(OTHER_PHONE, "Li Lei")
    other_entry = entry(camp, phone=OTHER_PHONE, email="li.lei@example.cn", name="李雷")
    return mine, my_lead, other_lead, other_entry


def test_export_holds_their_entry_and_request_not_the_other_persons(account, records):
    mine, my_lead, _other_lead, _other_entry = records
    rows = _source().export(account.subject)["campaigns_entry"]
    assert [(r["id"], r["link"]) for r in rows] == [(str(mine.pk), "matched")]
    assert (rows[0]["name"], rows[0]["phone"]) == ("王芳", account.test_phone)
    data = subjectdata.collect(account.subject)  # what the engine puts in the ZIP
    assert [r["id"] for r in data["campaigns.entries"]["campaigns_entry"]] == [str(mine.pk)]
    assert [r["id"] for r in data["leads.requests"]["leads_lead"]] == [str(my_lead.pk)]
    text = repr(data)
    assert OTHER_PHONE not in text and "李雷" not in text and "Li Lei" not in text


def test_erasure_removes_their_entry_and_leaves_the_other(account, records, _media):
    mine, _my_lead, _other_lead, other_entry = records
    erased = _source().erase(actor=ACTOR, subject=account.subject, categories=None)
    # name, title, phone, occupation, the scan's key, the row; the subject's consent state
    assert erased.erased == 7
    assert erased.kept[0].category == "user.consent"
    assert list(CampaignEntry.objects.all()) == [other_entry]
    mine.subject.refresh_from_db()
    assert not VaultValue.objects.filter(subject=mine.subject).exists()
    assert DataKey.objects.get(subject=mine.subject).shredded_at is not None
    assert mine.subject.status == SubjectStatus.ERASED
    assert SCAN_SECRET not in (_media / mine.consent_event.evidence.name).read_bytes()
    assert vault.masked(other_entry.subject, "campaigns_scan_key") is not None
    assert vault.masked(other_entry.subject, "phone") == "131****1000"
    audit_count = AuditEvent.objects.count()
    assert _source().erase(actor=ACTOR, subject=account.subject, categories=None).erased == 0
    assert AuditEvent.objects.count() == audit_count
    assert _source().export(account.subject) == {"campaigns_entry": []}


def test_account_erasure_run_leaves_nothing_that_identifies_them(account, records):
    mine, my_lead, other_lead, other_entry = records
    run = subjectdata.start_erasure(actor=ACTOR, subject=account.subject, categories=None,
                                    reason="deletion request")
    subjectdata.run_erasure(run_id=run.pk)
    assert list(CampaignEntry.objects.all()) == [other_entry]
    assert list(Lead.objects.all()) == [other_lead]
    assert not VaultValue.objects.filter(
        subject__in=[account.subject, mine.subject, my_lead.subject]).exists()
    assert vault.find_subject_ids("phone", account.test_phone) == []
    assert sorted(vault.find_subject_ids("phone", OTHER_PHONE)) == sorted(
        [other_lead.subject_id, other_entry.subject_id])


def test_unverified_contact_matches_nothing(make_account):
    account = make_account(bind=False)
    recorded = entry(campaign(), phone=account.test_phone, email="")
    assert _source().export(account.subject) == {"campaigns_entry": []}
    assert _source().erase(actor=ACTOR, subject=account.subject, categories=None).erased == 0
    assert list(CampaignEntry.objects.all()) == [recorded]
    assert vault.masked(recorded.subject, "phone") is not None
