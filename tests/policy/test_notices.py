"""Major changes and reductions reach people through the notify engine; acknowledging is
recorded as the person's acceptance of the version."""

import pytest
from django.db import transaction
from django.test import Client

from piwarden.accounts.models import Account
from piwarden.audit.actors import Actor
from piwarden.catalog.models import ProcessingActivity, Recipient
from piwarden.consent import services as consent
from piwarden.notify import selectors as notify_selectors
from piwarden.notify import services as notify
from piwarden.notify.models import Campaign, CampaignStatus
from piwarden.policy import selectors, services
from piwarden.policy.models import AcceptedHow, PolicyAcceptance
from tests.notify.conftest import make_person  # noqa: F401  (fixture)
from tests.policy.conftest import draft_next

pytestmark = pytest.mark.django_db


def new_recipient(key="partner.insurance", **extra) -> Recipient:
    return Recipient.objects.create(
        key=key, name_en="Insurance partners", name_zh="保险合作伙伴",
        role="independent_handler", status="draft", country="CN", position=999, **extra)


def run(campaign_id: str) -> None:
    """What the worker does with the campaign's job."""
    notify.run(campaign_id=campaign_id)


def acknowledge(person, campaign_id):
    delivery = next(d for d in notify_selectors.pending_site_messages(person)
                    if str(d.campaign_id) == campaign_id)
    with transaction.atomic():
        notify.acknowledge(actor=Actor.person(person), delivery=delivery)
    return delivery


def test_g_8_3_a_new_recipient_category_is_major_3_and_people_see_the_notice(
        published, system_actor, make_person):  # noqa: F811
    person = make_person(email=False, phone=False)  # reachable on the site only
    new_recipient()
    draft = draft_next(system_actor, None)
    assert draft.classification["major"] == [3]
    assert draft.classification["reductions"] == []
    version = services.publish(actor=system_actor, version="2026.2")
    campaign = Campaign.objects.get(pk=version.notice_campaign)
    assert (campaign.kind, campaign.template, campaign.require_ack) == (
        "policy_change", "policy.major_change", True)
    assert campaign.status == CampaignStatus.SENDING
    assert "保险合作伙伴" in campaign.fields["zh-hans"]["changes"]
    assert "Insurance partners" in campaign.fields["en"]["changes"]
    run(version.notice_campaign)
    delivery = acknowledge(person, version.notice_campaign)
    assert delivery.channel == "site"
    acceptance = PolicyAcceptance.objects.get(subject=person)
    assert (acceptance.version, acceptance.how) == (version, AcceptedHow.ACKNOWLEDGEMENT)
    assert notify_selectors.pending_site_messages(person) == []
    assert selectors.banner_version() == "2026.2"  # a major change asks the banner again


def test_g_8_2_a_reduction_publishes_once_a_reconsent_campaign_is_configured(
        published, system_actor, make_person):  # noqa: F811
    person, reader = make_person(email=False, phone=False), make_person(email=False, phone=False)
    for someone in (person, reader):
        services.accept(actor=system_actor, subject=someone, version=published, how="consent")
    recipient = new_recipient()
    ProcessingActivity.objects.get(key="sharing.with_consent").recipients.add(recipient)
    draft = draft_next(system_actor, None)
    assert "activities.sharing.with_consent.recipients" in draft.classification["reductions"]
    with pytest.raises(services.PolicyError) as refused:
        services.publish(actor=system_actor, version="2026.2")
    assert refused.value.code == "REQUIRES_EXPLICIT_CONSENT"
    services.configure_reconsent(actor=system_actor, version="2026.2")
    version = services.publish(actor=system_actor, version="2026.2")
    assert version.reconsent_campaign and not version.notice_campaign
    campaign = Campaign.objects.get(pk=version.reconsent_campaign)
    assert (campaign.template, campaign.audience) == ("policy.reconsent", "policy.not_accepted")
    assert "/privacy/policy/" in campaign.fields["en"]["url"]  # where "I agree" is
    run(version.reconsent_campaign)
    acknowledge(reader, version.reconsent_campaign)  # read, which is not consent
    consent.grant(actor=system_actor, subject=reader, purpose="survey", channel="web",
                  notice_text="Surveys. Privacy policy version 2026.2.")  # nor is this
    assert reader.consent_events.get().policy_version == "2026.2"
    assert selectors.accepted_version(reader) == published  # still on the earlier terms
    assert len(notify_selectors.pending_site_messages(person)) == 1
    client = Client()
    client.force_login(Account.objects.get(subject=person).user)
    page = client.get("/privacy/policy/")
    assert "I agree to version 2026.2" in page.content.decode()
    assert "you stay on version 2026.1" in page.content.decode()
    client.post("/privacy/policy/")
    assert notify_selectors.pending_site_messages(person) == []  # answered
    assert selectors.accepted_version(person) == version
    assert PolicyAcceptance.objects.get(subject=person, version=version).how == "reconsent"
    assert "I agree to version" not in client.get("/privacy/policy/").content.decode()


def test_g_8_2_people_on_earlier_terms_lose_only_the_dependent_function(
        published, system_actor, person):
    """A recipient added by a new version is never treated as consented: the ledger needs a
    grant naming it, while the consent the person gave before keeps working."""
    from piwarden.consent import decisions
    from piwarden.consent import services as consent

    consent.grant(actor=Actor.person(person), subject=person, purpose="sharing.consent",
                  scope="separate.third_party", recipient="third_party.consented",
                  notice_text="Sharing with consented third parties.", channel="web")
    services.accept(actor=system_actor, subject=person, version=published, how="consent")
    recipient = new_recipient()
    ProcessingActivity.objects.get(key="sharing.with_consent").recipients.add(recipient)
    draft_next(system_actor, None)
    services.configure_reconsent(actor=system_actor, version="2026.2")
    services.publish(actor=system_actor, version="2026.2")
    decisions.clear_cache()
    assert selectors.accepted_version(person) == published
    kept = decisions.decide(person.pk, "sharing.consent", ["user.name"],
                            recipient="third_party.consented")
    new = decisions.decide(person.pk, "sharing.consent", ["user.name"],
                           recipient="partner.insurance")
    assert kept.allowed and not new.allowed


def test_g_8_3_a_high_risk_pipia_is_a_major_6_change(published, system_actor):
    from piwarden.sharing.models import Assessment

    Assessment.objects.create(title="Overseas storage", risk="high", status="approved")
    draft = draft_next(system_actor, None)
    assert draft.classification["major"] == [6]
    assert "Overseas storage" in draft.classification["changes"][0]["words"]["en"]


def test_g_8_3_deciding_a_pipia_high_risk_drafts_a_major_6_notice(system_actor):
    from piwarden.sharing.models import Assessment
    from piwarden.sharing.services import decide_assessment

    assessment = Assessment.objects.create(title="Profiling for offers")
    decide_assessment(actor=system_actor, assessment=assessment, approve=True, risk="high",
                      findings="Large-scale profiling.")
    campaign = Campaign.objects.get(concerns_type="sharing.assessment",
                                    concerns_id=str(assessment.pk))
    assert (campaign.template, campaign.status) == ("policy.high_risk", CampaignStatus.DRAFT)
    with pytest.raises(notify.NotifyError) as refused:  # staff write the measures first
        notify.start(actor=system_actor, campaign=campaign)
    assert refused.value.code == "TEMPLATE_FIELD_MISSING"


def test_a_rebuilt_draft_keeps_its_reconsent_campaign_text_in_step(
        published, system_actor, terms):
    terms["rights"]["deadline_business_days"] = 15
    draft_next(system_actor, terms)
    draft = services.configure_reconsent(actor=system_actor, version="2026.2")
    terms["rights"]["deadline_business_days"] = 20
    services.create_draft(actor=system_actor, terms=terms)
    campaign = Campaign.objects.get(pk=draft.reconsent_campaign)
    assert "20" in campaign.fields["en"]["changes"]


def test_g_8_2_consent_given_on_a_version_without_reductions_accepts_it(
        published, system_actor, make_person):  # noqa: F811
    """A consent given on a notice naming a version that reduces nothing puts the person on
    it; the ledger keeps the version each notice showed."""
    person = make_person(email=False, phone=False)
    assert selectors.accepted_version(person) is None
    consent.grant(actor=system_actor, subject=person, purpose="survey", channel="web",
                  notice_text="Surveys. Privacy policy version 2026.1.")
    assert selectors.accepted_version(person) == published


def test_g_8_3_a_handler_change_is_major_2_and_starts_the_art_22_flow(published, system_actor):
    """A new handler (a merger or sale) is a major change (2): besides the notice, staff are
    alerted to record the corporate transaction whose notices gate any transfer."""
    from piwarden.alerts.models import Alert
    from piwarden.catalog.models import CatalogRelease
    from tests.policy.conftest import release

    made = release("2026.2")
    CatalogRelease.objects.filter(pk=made.pk).update(
        handler={**made.handler, "legal_name": "New Holder Technology Co., Ltd."})
    draft = services.create_draft(actor=system_actor)
    assert 2 in draft.classification["major"]
    services.publish(actor=system_actor, version=draft.version)
    alert = Alert.objects.get(kind="policy.ownership_changed")
    assert alert.detail == {"version": "2026.2", "major": [2]}
