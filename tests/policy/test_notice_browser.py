"""A major policy change in headless Chromium: the signed-in person sees the notice at their
next page view, acknowledges it once, and the acknowledgement is their acceptance."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client

from piwarden.accounts.models import Account
from piwarden.catalog.models import CatalogRelease, Recipient
from piwarden.notify import services as notify
from piwarden.notify.models import Campaign, Delivery
from piwarden.policy import services
from piwarden.policy.models import AcceptedHow, PolicyAcceptance, PolicyVersion
from piwarden.subjects.services import create_subject
from tests.policy.conftest import release


@pytest.fixture
def major_change(live_url, system_actor):
    """2026.1 published, then 2026.2 adding a recipient type (major (3)) published, and the
    notice campaign run; everything it committed is removed afterwards."""
    releases = set(CatalogRelease.objects.values_list("pk", flat=True))
    with transaction.atomic():
        subject = create_subject(actor=system_actor, kind="account_holder")
        user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}")
        Account.objects.create(user=user, subject=subject)
        first = services.publish(actor=system_actor,
                                 version=services.create_draft(actor=system_actor))
        Recipient.objects.create(key="partner.insurance", name_en="Insurance partners",
                                 name_zh="保险合作伙伴", role="independent_handler",
                                 status="draft", country="CN", position=999)
        release("2026.2")
        services.create_draft(actor=system_actor)
        second = services.publish(actor=system_actor, version="2026.2")
    notify.run(campaign_id=second.notice_campaign)
    try:
        yield subject, user, second
    finally:
        PolicyAcceptance.objects.filter(version__in=[first, second]).delete()
        Campaign.objects.filter(pk=second.notice_campaign).delete()
        PolicyVersion.objects.filter(pk=second.pk).delete()  # the ORM guard is per instance
        PolicyVersion.objects.filter(pk=first.pk).delete()
        CatalogRelease.objects.exclude(pk__in=releases).delete()
        Recipient.objects.filter(key="partner.insurance").delete()
        user.delete()


def test_g_8_3_a_signed_in_person_sees_the_major_change_notice_once_and_acknowledges_it(
        browser, live_url, major_change):
    subject, user, version = major_change
    session = Client()
    session.force_login(user)
    context = browser.new_context(base_url=live_url, locale="en-US")
    context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value,
                          "url": live_url}])
    page = context.new_page()
    try:
        page.goto("/privacy/policy/")
        notice = page.get_by_role("dialog", name="Important notice")
        notice.wait_for()
        assert "New recipient: Insurance partners." in notice.text_content()
        assert "2026.2" in notice.text_content()
        notice.get_by_role("button", name="I have read this").click()
        page.get_by_text("Thank you: your acknowledgement is recorded.").wait_for()
        assert page.get_by_role("dialog", name="Important notice").count() == 0
        page.goto("/privacy/versions/")
        page.get_by_role("heading", name="Privacy policy versions").wait_for()
        assert page.get_by_role("dialog", name="Important notice").count() == 0  # once
    finally:
        context.close()
    delivery = Delivery.objects.get(campaign_id=version.notice_campaign, subject=subject)
    assert delivery.acknowledged_at is not None and delivery.channel == "site"
    acceptance = PolicyAcceptance.objects.get(subject=subject)
    assert (acceptance.version_id, acceptance.how) == (version.pk, AcceptedHow.ACKNOWLEDGEMENT)
