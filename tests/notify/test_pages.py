"""What people see: the site message box at their next page view (recorded as shown once),
"I have read this" (recorded, audited, only for their own notice), /privacy/messages/ in both
languages, and the public announcement on the home page."""

import pytest
from django.test import Client
from django.urls import reverse

from piwarden.audit.models import AuditEvent
from piwarden.notify.models import Channel, Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db


def signed_in(subject) -> Client:
    client = Client()
    client.force_login(subject.account.user)
    return client


@pytest.fixture
def site_notice(make_person, create, start):
    """A person reachable only by a site message, sent a notice that asks to be read."""
    person = make_person(email=False, phone=False)
    campaign = create([person], channels=("site",), require_ack=True,
                      fields={"en": {"title": "Policy change", "text": "We changed <b>it</b>."},
                              "zh-hans": {"title": "政策变更", "text": "我们修改了政策。"}})
    start(campaign)
    return person, Delivery.objects.get(campaign=campaign)


def test_p_14_1_the_site_message_shows_at_the_next_page_view_and_is_recorded_once(
        site_notice):
    person, delivery = site_notice
    client = signed_in(person)
    page = client.get(reverse("consent:choices"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Policy change" in page and "I have read this" in page
    assert "&lt;b&gt;it&lt;/b&gt;" in page  # the notice's text is escaped on the page
    delivery.refresh_from_db()
    first = delivery.shown_at
    assert first is not None and delivery.status == DeliveryStatus.SENT
    client.get(reverse("consent:choices"))
    delivery.refresh_from_db()
    assert delivery.shown_at == first
    assert AuditEvent.objects.filter(action="notify.shown").count() == 1


def test_p_14_1_acknowledging_records_it_and_the_box_goes(site_notice):
    person, delivery = site_notice
    client = signed_in(person)
    response = client.post(reverse("notify:acknowledge", args=[delivery.pk]),
                           {"next": reverse("consent:choices")})
    assert response.status_code == 302 and response.url == reverse("consent:choices")
    delivery.refresh_from_db()
    assert delivery.acknowledged_at is not None
    event = AuditEvent.objects.get(action="notify.acknowledged")
    assert event.subject_id == person.pk and event.actor_id == str(person.pk)
    page = client.get(reverse("consent:choices")).content.decode()
    assert "I have read this" not in page


def test_p_14_1_another_persons_notice_cannot_be_acknowledged(site_notice, make_person):
    """IDOR: a signed-in person posting someone else's delivery id gets 404; nothing is
    recorded."""
    _, delivery = site_notice
    intruder = make_person()
    response = signed_in(intruder).post(reverse("notify:acknowledge", args=[delivery.pk]))
    assert response.status_code == 404
    delivery.refresh_from_db()
    assert delivery.acknowledged_at is None
    assert not AuditEvent.objects.filter(action="notify.acknowledged").exists()


def test_p_14_1_acknowledging_needs_a_post_and_a_csrf_token(site_notice):
    person, delivery = site_notice
    client = Client(enforce_csrf_checks=True)
    client.force_login(person.account.user)
    url = reverse("notify:acknowledge", args=[delivery.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    delivery.refresh_from_db()
    assert delivery.acknowledged_at is None


def test_p_14_1_the_messages_page_lists_notices_in_chinese(site_notice):
    person, _ = site_notice
    page = signed_in(person).get(reverse("notify:messages"),
                                 HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "政策变更" in page and "我们修改了政策。" in page
    assert "我已阅读" in page and "站内消息" in page and "其他通知" in page


def test_p_14_1_the_messages_page_needs_an_account(client):
    response = client.get(reverse("notify:messages"))
    assert response.status_code == 302 and "login" in response.url


def test_p_14_1_the_announcement_is_on_the_home_page(make_person, create, start, client):
    person = make_person(email=False, phone=False, account=False)
    start(create([person], channels=("email", "announcement")))
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "服务通知" in page and "您需要知道的事情。" in page
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Service notice" in page


def test_p_14_1_a_delivery_by_email_is_not_shown_as_a_site_message(make_person, create, start,
                                                                   smtp):
    """One notice per person: who got the e-mail sees no box for the same campaign."""
    person = make_person()
    start(create([person], channels=("email", "site")))
    assert Delivery.objects.get(subject=person).channel == Channel.EMAIL
    page = signed_in(person).get(reverse("consent:choices")).content.decode()
    assert "notify-box" not in page
