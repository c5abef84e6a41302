"""Publishing needs the person's separate consent to the item, and ending it takes the item
down (S-4.3.1, PIPL Art. 25)."""

import datetime

import pytest
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.consent import services as consent
from piwarden.consent.models import Channel, Choice, ConsentEvent
from piwarden.publication import consents, services, subject_data
from piwarden.publication.models import PURPOSE, SCOPE, PublishedItem, Status, TakedownReason
from piwarden.subjects.models import SubjectKind

from .conftest import choose

pytestmark = pytest.mark.django_db


def _refused(item, staff, code="CONSENT_MISSING"):
    with pytest.raises(services.PublicationError) as refused:
        services.publish(actor=staff, item=item)
    assert refused.value.code == code
    item.refresh_from_db()
    return item


def test_s_4_3_1_publishing_without_consent_is_blocked_and_audited(make_item, staff):
    """No consent to the item: publishing is refused, the item stays unpublished, and the
    refusal is on the audit trail."""
    item = _refused(make_item(), staff)
    assert item.status == Status.AWAITING_CONSENT
    refusal = AuditEvent.objects.get(action="publication.published", object_id=str(item.pk))
    assert refusal.outcome == "denied"
    assert refusal.detail["refused"] == "CONSENT_MISSING"


def test_s_4_3_1_publishing_a_draft_is_blocked(make_item, staff):
    _refused(make_item(requested=False), staff, code="WRONG_STATUS")


def test_s_4_3_1_consent_to_the_item_lets_it_be_published(make_item, staff):
    item = make_item()
    choose(item)
    item = services.publish(actor=staff, item=item)
    assert item.status == Status.PUBLISHED and item.published_at is not None
    assert AuditEvent.objects.filter(action="publication.published", outcome="success",
                                     object_id=str(item.pk)).exists()
    event = ConsentEvent.objects.get(subject=item.subject, purpose=PURPOSE, scope=SCOPE)
    assert consents.reference(item) in event.notice.text  # the one ledger names the item


def test_s_4_3_1_consent_is_per_item(make_item, staff):
    """A consent to one item, or to public disclosure in general, publishes no other item."""
    first, second = make_item(), make_item(title_en="Another story")
    choose(first)
    _refused(second, staff)
    consent.grant(actor=Actor.person(second.subject), subject=second.subject, purpose=PURPOSE,
                  scope=SCOPE, notice_text="Public disclosure in general.", channel=Channel.WEB)
    _refused(second, staff)
    assert services.publish(actor=staff, item=first).status == Status.PUBLISHED


def test_s_4_3_1_refused_consent_blocks_publishing(make_item, staff):
    item = make_item()
    choose(item, Choice.REFUSE)
    _refused(item, staff)


def test_s_4_3_1_content_is_fixed_once_consent_is_asked(make_item, staff):
    item = make_item()
    with pytest.raises(services.PublicationError) as refused:
        services.update_item(actor=staff, item=item, title_en="Changed")
    assert refused.value.code == "WRONG_STATUS"


def test_s_4_3_1_revoking_consent_takes_the_item_down_at_once(published, staff):
    """The withdrawal's own transaction takes the item down, well within the hours."""
    event = choose(published, Choice.WITHDRAW)
    published.refresh_from_db()
    assert published.status == Status.TAKEN_DOWN
    assert published.takedown_reason == TakedownReason.CONSENT_ENDED
    assert published.taken_down_at - event.occurred_at < datetime.timedelta(
        hours=consents.takedown_hours())
    audit = AuditEvent.objects.get(action="publication.taken_down",
                                   object_id=str(published.pk))
    assert audit.detail["reason"] == "consent_ended"
    assert audit.actor_kind == "person"


def test_s_4_3_1_withdrawing_one_item_leaves_the_others_up(published, make_item, staff):
    other = make_item(title_en="Second story")
    choose(other)
    services.publish(actor=staff, item=other)
    choose(other, Choice.WITHDRAW)
    published.refresh_from_db()
    other.refresh_from_db()
    assert (published.status, other.status) == (Status.PUBLISHED, Status.TAKEN_DOWN)
    assert consents.holds(published)


def test_s_4_3_1_withdrawing_public_disclosure_as_a_whole_takes_every_item_down(published):
    """The choices page withdraws the purpose itself, naming no item: every item ends."""
    subject = published.subject
    consent.withdraw(actor=Actor.person(subject), subject=subject, purpose=PURPOSE,
                     scope=SCOPE, notice_text="Public disclosure withdrawn.",
                     channel=Channel.WEB)
    published.refresh_from_db()
    assert published.status == Status.TAKEN_DOWN


def test_s_4_3_1_granting_again_allows_publishing_again(published, staff):
    choose(published, Choice.WITHDRAW)
    published.refresh_from_db()
    services.request_consent(actor=staff, item=published)
    choose(published)
    assert services.publish(actor=staff, item=published).status == Status.PUBLISHED


def test_s_4_3_1_the_job_takes_down_what_the_signal_missed(published, signal_missed):
    choose(published, Choice.WITHDRAW)
    published.refresh_from_db()
    assert published.status == Status.PUBLISHED
    result = services.sweep(actor=Actor.system("tests"))
    published.refresh_from_db()
    assert result == {"taken_down": 1, "late": 0}
    assert published.status == Status.TAKEN_DOWN
    assert not Alert.objects.filter(kind="publication.takedown_late").exists()


def test_s_4_3_1_an_item_up_beyond_the_hours_raises_an_alert(published, signal_missed,
                                                              settings):
    settings.PIWARDEN_PUBLICATION_TAKEDOWN_HOURS = 2
    choose(published, Choice.WITHDRAW)
    later = timezone.now() + datetime.timedelta(hours=2, minutes=1)
    assert services.sweep(actor=Actor.system("tests"), now=later)["late"] == 1
    alert = Alert.objects.get(kind="publication.takedown_late")
    assert alert.detail == {"items": [str(published.pk)]}
    assert "Ms Wang" not in alert.summary


def test_s_4_3_1_the_job_leaves_consented_items_up(published):
    assert services.sweep(actor=Actor.system("tests")) == {"taken_down": 0, "late": 0}


def test_s_4_3_1_items_are_only_about_account_holders(make_item, make_subject):
    with pytest.raises(services.PublicationError) as refused:
        make_item(make_subject(SubjectKind.LEAD))
    assert refused.value.code == "SUBJECT_NOT_ELIGIBLE"


def test_s_4_3_1_an_image_must_be_a_picture(make_item):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    with pytest.raises(services.PublicationError) as refused:
        services.create_item(actor=Actor.system("tests"), subject=make_item().subject,
                             kind="photo", title_zh="照片", title_en="Photo", image=bad)
    assert refused.value.code == "IMAGE_REFUSED"


def test_s_4_3_1_items_are_exported_and_erased_with_the_person(published):
    from django.db import transaction

    rows = subject_data.export(published.subject)["published_items"]
    assert [row["item"] for row in rows] == [str(published.pk)]
    assert rows[0]["title_en"] == "Ms Wang's testimonial" and rows[0]["has_image"]
    with transaction.atomic():
        erased = subject_data.erase(actor=Actor.system("tests"), subject=published.subject,
                                    categories=None)
    assert erased.erased == 1
    assert not PublishedItem.objects.filter(pk=published.pk).exists()
    assert AuditEvent.objects.filter(action="publication.erased",
                                     object_id=str(published.pk)).exists()



def test_s_4_3_1_the_erasure_after_a_withdrawal_deletes_only_the_withdrawn_item(
        published, make_item, staff):
    """The ledger schedules the erasure of what only this purpose held (PIPL Art. 47); run
    for those categories, it deletes the withdrawn item and keeps the one still agreed to and
    the one not decided on."""
    from django.db import transaction

    from piwarden.consent.models import ScheduledErasure

    withdrawn, waiting = make_item(title_en="Withdrawn"), make_item(title_en="Waiting")
    choose(withdrawn)
    services.publish(actor=staff, item=withdrawn)
    choose(withdrawn, Choice.WITHDRAW)
    erasure = ScheduledErasure.objects.get(subject=published.subject, purpose=PURPOSE)
    with transaction.atomic():
        subject_data.erase(actor=Actor.system("tests"), subject=published.subject,
                           categories=set(erasure.categories))
    assert set(PublishedItem.objects.filter(subject=published.subject)) == {published, waiting}


def test_s_4_3_1_an_items_text_cannot_carry_another_items_consent(make_item):
    """The reference is read from the notice's last line only, and an item's text may not
    contain one: agreeing to B never counts for A."""
    first = make_item()
    with pytest.raises(services.PublicationError) as refused:
        make_item(body_en=f"See {consents.reference(first)}")
    assert refused.value.code == "CONTENT_INVALID"
    other = make_item(title_en="Another story")
    text = consents.notice(other, "en").replace(
        consents.reference(other), consents.reference(other) + " x")
    assert consents._reference_line(f"Body {consents.reference(first)}\n{text}") is None
