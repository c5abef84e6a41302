"""Both apps in the subject-data registry: export, erasure (idempotent), retention, and no
plaintext PI anywhere in the database."""

import datetime

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import serializers
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.campaigns.models import CampaignEntry
from piwarden.consent import services as consent
from piwarden.leads import services as leads
from piwarden.leads.models import Lead
from piwarden.subjects import registry
from piwarden.vault import services as vault

from .factories import SCAN_SECRET, campaign, entry

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def _source(name):
    return next(s for s in registry.sources() if s.name == name)


def _lead(phone="+8613800138000", email="", message="Ring after 6 pm please"):
    return leads.submit(submission=leads.Submission(phone=phone, email=email, name="韩梅梅",
                                                    message=message),
                        contact_ok=True, notice_version=consent.policy_version(),
                        channel="api")


def test_sources_and_retentions_are_registered():
    assert {"leads.requests", "campaigns.entries"} <= {s.name for s in registry.sources()}
    by_name = {r.name: r for r in registry.retentions()}
    assert by_name["leads.requests"].activity == "lead.callback_request"
    assert by_name["campaigns.entries"].activity == "campaign.offline_capture"
    covered = {m for s in registry.sources() for m in s.models}
    assert Lead in covered and CampaignEntry in covered


def test_lead_export_and_erase():
    lead = _lead()
    source = _source("leads.requests")
    rows = source.export(lead.subject)["leads_lead"]
    assert rows[0]["phone"] == "+8613800138000" and rows[0]["name"] == "韩梅梅"
    assert rows[0]["message"] == "Ring after 6 pm please"
    erased = source.erase(actor=ACTOR, subject=lead.subject, categories=None)
    assert erased.erased == 4  # phone, name, message and the row
    assert not Lead.objects.exists() and vault.masked(lead.subject, "phone") is None
    assert source.erase(actor=ACTOR, subject=lead.subject, categories=None).erased == 0
    assert source.export(lead.subject) == {"leads_lead": []}


def test_lead_partial_erase_keeps_the_row():
    lead = _lead()
    source = _source("leads.requests")
    erased = source.erase(actor=ACTOR, subject=lead.subject, categories={"inquiry"})
    assert erased.erased == 1
    lead.refresh_from_db()
    assert not lead.has_message and vault.masked(lead.subject, "phone") == "138****8000"


def test_entry_export_and_erase(_media):
    recorded = entry(campaign())
    source = _source("campaigns.entries")
    row = source.export(recorded.subject)["campaigns_entry"][0]
    assert (row["name"], row["title"], row["phone"], row["occupation"]) == (
        "王芳", "Ms", "+8613700137000", "Automotive engineer")
    assert row["campaign"] == "Shenzhen expo"
    erased = source.erase(actor=ACTOR, subject=recorded.subject, categories=None)
    assert erased.erased == 7 and erased.kept[0].category == "user.consent"
    assert not CampaignEntry.objects.exists()
    assert source.erase(actor=ACTOR, subject=recorded.subject, categories=None).erased == 0
    # the encrypted scan stays as consent evidence, but its key is gone
    assert vault.masked(recorded.subject, "campaigns_scan_key") is None
    assert SCAN_SECRET not in (_media / recorded.consent_event.evidence.name).read_bytes()


def test_claimed_records_follow_the_account(account):
    lead = _lead(phone=account.test_phone)
    leads.claim(account=account, lead_ids=[lead.pk])
    rows = _source("leads.requests").export(account.subject)["leads_lead"]
    assert [r["id"] for r in rows] == [str(lead.pk)]
    _source("leads.requests").erase(actor=ACTOR, subject=account.subject, categories=None)
    assert not Lead.objects.exists()


def _named(action):
    """The people the last ``action`` record names in its child rows (V-5.3a)."""
    record = AuditEvent.objects.filter(action=action).last()
    return set(record.touched.values_list("subject_id", flat=True))


def test_retention_expires_old_rows():
    old, recent = _lead(), _lead(phone="+8613900139001")
    Lead.objects.filter(pk=old.pk).update(
        last_submitted_at=timezone.now() - datetime.timedelta(days=200))
    camp = campaign()
    old_entry, new_entry = entry(camp), entry(camp, phone="13500135000")
    CampaignEntry.objects.filter(pk=old_entry.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400))
    retentions = {r.name: r for r in registry.retentions()}
    lead_cut = timezone.now() - datetime.timedelta(days=180)
    entry_cut = timezone.now() - datetime.timedelta(days=365)
    assert retentions["leads.requests"].due(lead_cut) == 1
    assert retentions["leads.requests"].expire(actor=ACTOR, before=lead_cut, limit=10) == 1
    assert list(Lead.objects.all()) == [recent]
    assert vault.masked(old.subject, "phone") is None
    assert retentions["campaigns.entries"].due(entry_cut) == 1
    assert retentions["campaigns.entries"].expire(actor=ACTOR, before=entry_cut, limit=10) == 1
    assert list(CampaignEntry.objects.all()) == [new_entry]
    assert retentions["campaigns.entries"].due(entry_cut) == 0
    assert _named("leads.expired") == {old.subject_id}
    assert _named("campaigns.entries_expired") == {old_entry.subject_id}


def test_no_plaintext_pi_in_any_table(account, client_for):
    _lead(phone="+8613811112222", email="Meimei.Han@Example.cn",
          message="我想了解ECU调校服务 quote-7731")
    entry(campaign(), phone="13722223333", email="fang.wang77@example.cn", name="王芳芳")
    dump = [serializers.serialize("json", model.objects.all()) for model in apps.get_models()]
    dump += [str(session.get_decoded()) for session in Session.objects.all()]
    text = "\n".join(dump)
    for value in ("13811112222", "Meimei.Han", "meimei.han", "quote-7731", "ECU调校",
                  "韩梅梅", "13722223333", "fang.wang77", "王芳芳", "Automotive engineer",
                  SCAN_SECRET.decode()):
        assert value not in text, value
