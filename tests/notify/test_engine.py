"""The campaign engine end to end: preview, approval, required fields, one notice per person
across channels, e-mail through the local SMTP server and SMS through the file backend,
crash-resume, throttling, the announcement fallback and delivery status following the outbox."""

import pytest
from django.db import transaction

from piwarden.audit.models import AuditEvent
from piwarden.notify import services, tasks
from piwarden.notify.models import (
    Announcement,
    CampaignStatus,
    Channel,
    Delivery,
    DeliveryStatus,
)
from piwarden.outbox.models import Message, MessageStatus
from piwarden.vault import selectors as vault_selectors

pytestmark = pytest.mark.django_db


def atomic(fn, **kwargs):
    with transaction.atomic():
        return fn(**kwargs)


def test_p_14_1_every_kind_reads_contacts_under_a_purpose_that_covers_them():
    for purpose in services.PURPOSES.values():
        assert vault_selectors.purpose_covers(purpose, "user.contact.email"), purpose
        assert vault_selectors.purpose_covers(purpose, "user.contact.phone"), purpose


def test_p_14_1_preview_counts_and_masks_a_sample(make_person, create, staff_actors):
    """Ten people at most, each an id prefix and the channel they would get; no contact."""
    people = [make_person() for _ in range(3)] + [make_person(email=False)]
    people.append(make_person(email=False, phone=False))
    campaign = create(people)
    preview = services.preview(actor=staff_actors[0], campaign=campaign)
    assert preview.count == 5
    channels = sorted(row["channel"] for row in preview.sample)
    assert channels == ["email", "email", "email", "site", "sms"]
    assert all(len(row["subject"]) == 8 for row in preview.sample)
    assert "@" not in str(preview.sample) and "+86" not in str(preview.sample)


def test_p_14_1_start_refuses_an_empty_required_field_in_either_language(
        make_person, create, staff_actors):
    fields = {"en": {"title": "Notice", "text": "Text"}, "zh-hans": {"title": "通知", "text": " "}}
    campaign = create([make_person()], fields=fields)
    with pytest.raises(services.NotifyError) as refused:
        services.start(actor=staff_actors[0], campaign=campaign)
    assert refused.value.code == "TEMPLATE_FIELD_MISSING"
    assert refused.value.detail == {"missing": ["zh-hans:text"]}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_p_14_1_above_the_threshold_a_second_staff_member_approves(
        settings, make_person, create, staff_actors, start):
    settings.PIWARDEN_NOTIFY_APPROVAL_ABOVE = 2
    creator, other = staff_actors
    campaign = create([make_person() for _ in range(3)], actor=creator)
    with pytest.raises(services.NotifyError) as refused:
        services.start(actor=creator, campaign=campaign)
    assert refused.value.code == "APPROVAL_REQUIRED"
    with pytest.raises(services.NotifyError) as refused:
        services.approve(actor=creator, campaign=campaign)
    assert refused.value.code == "APPROVER_IS_CREATOR"
    services.approve(actor=other, campaign=campaign)
    assert AuditEvent.objects.filter(action="notify.approved", actor_id=other.id).exists()
    start(campaign, creator)
    assert campaign.status == CampaignStatus.SENT


def test_p_14_1_below_the_threshold_the_creator_starts_alone(
        make_person, create, staff_actors, start):
    campaign = create([make_person()])
    start(campaign)
    assert campaign.status == CampaignStatus.SENT and not campaign.approved_by


def test_p_14_1_one_notice_per_person_across_channels_sent_in_their_channel(
        make_person, create, staff_actors, smtp, sms_file, start):
    """E-mail reaches the local SMTP server, SMS the SMS backend, the rest a site message;
    each person once, with the key notify:<campaign>:<subject>; statuses follow the outbox."""
    by_email, by_sms = make_person(), make_person(email=False)
    unverified = make_person(email_verified=False, phone_verified=False)
    campaign = create([by_email, by_sms, unverified], channels=("email", "sms", "site"))
    start(campaign)
    deliveries = {d.subject_id: d for d in Delivery.objects.filter(campaign=campaign)}
    assert {s: d.channel for s, d in deliveries.items()} == {
        by_email.pk: Channel.EMAIL, by_sms.pk: Channel.SMS, unverified.pk: Channel.SITE}
    assert [m["to"] for m in smtp.received] == [[by_email.test_email]]
    assert "服务通知" in str(smtp.received[0]["message"]["Subject"])  # default language zh-Hans
    assert [line["to"] for line in sms_file.lines()] == [by_sms.test_phone]
    assert Message.objects.filter(idempotency_key=f"notify:{campaign.pk}:{by_email.pk}",
                                  status=MessageStatus.SENT).exists()
    assert deliveries[by_email.pk].status == DeliveryStatus.SENT
    assert deliveries[by_sms.pk].status == DeliveryStatus.SENT
    assert deliveries[unverified.pk].status == DeliveryStatus.PENDING  # until shown
    progress = services.progress(campaign)
    assert progress["handed_out"] == 3 and progress["percent"] == 100
    assert progress["by_status"]["sent"] == 2


def test_p_14_1_a_chunk_is_one_audit_record_naming_everyone(
        make_person, create, staff_actors):
    people = [make_person() for _ in range(4)]
    campaign = create(people)
    with transaction.atomic():
        campaign.status = CampaignStatus.SENDING
        campaign.save()
    services.run(campaign_id=campaign.pk)
    record = AuditEvent.objects.get(action="notify.delivered", object_id=str(campaign.pk))
    assert record.detail["touched"]["count"] == 4
    assert record.purpose == "service.provision"
    queued = AuditEvent.objects.get(action="outbox.queued_many")
    assert queued.detail["touched"]["count"] == 4 and queued.detail["messages"] == 4
    assert "@" not in str(record.detail) + str(queued.detail)


def _sending(campaign):
    with transaction.atomic():
        campaign.status = CampaignStatus.SENDING
        campaign.save(update_fields=["status"])


def test_p_14_1_a_crash_midway_resumes_without_a_duplicate(
        settings, make_person, create, monkeypatch):
    """The second chunk fails (a crash); the run again hands out the rest, nobody twice."""
    settings.PIWARDEN_NOTIFY_CHUNK = 2
    people = [make_person() for _ in range(5)]
    campaign = create(people)
    _sending(campaign)
    real, calls = services._queue, []

    def crashing(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(*args)

    monkeypatch.setattr(services, "_queue", crashing)
    with pytest.raises(RuntimeError):
        services.run(campaign_id=campaign.pk)
    assert Delivery.objects.filter(campaign=campaign).count() == 2  # chunk 2 rolled back
    monkeypatch.setattr(services, "_queue", real)
    result = services.run(campaign_id=campaign.pk)
    assert result.done and result.handed == 3
    assert Delivery.objects.filter(campaign=campaign).count() == 5
    keys = list(Message.objects.filter(idempotency_key__startswith=f"notify:{campaign.pk}:")
                .values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 5
    services.run(campaign_id=campaign.pk)  # a third run changes nothing
    assert Delivery.objects.filter(campaign=campaign).count() == 5


def test_p_14_1_a_lost_cursor_still_sends_nobody_twice(make_person, create):
    """Deliveries already made are skipped even when the cursor is lost (the unique row)."""
    people = [make_person() for _ in range(3)]
    campaign = create(people)
    _sending(campaign)
    services.run(campaign_id=campaign.pk)
    with transaction.atomic():
        campaign.refresh_from_db()
        campaign.status, campaign.cursor = CampaignStatus.SENDING, ""
        campaign.save()
    result = services.run(campaign_id=campaign.pk)
    assert result.handed == 0
    assert Message.objects.filter(concerns_id=str(campaign.pk)).count() == 3


def test_p_14_1_the_per_minute_limit_throttles_by_scheduling_later(
        settings, make_person, create):
    settings.PIWARDEN_NOTIFY_PER_MINUTE = {"email": 2}
    campaign = create([make_person() for _ in range(5)])
    _sending(campaign)
    first = services.run(campaign_id=campaign.pk)
    assert first.handed == 2 and not first.done and first.next_at is not None
    assert Delivery.objects.filter(campaign=campaign).count() == 2
    second = services.run(campaign_id=campaign.pk)
    assert second.handed == 2 and not second.done
    third = services.run(campaign_id=campaign.pk)
    assert third.handed == 1 and third.done


def test_p_14_1_the_run_job_queues_its_next_run_when_throttled(
        settings, make_person, create):
    """Under the database job backend the throttled run queues one deferred successor."""
    from piwarden.jobs.models import Job

    settings.PIWARDEN_NOTIFY_PER_MINUTE = 1
    campaign = create([make_person() for _ in range(2)])
    _sending(campaign)
    tasks.run_campaign.call(str(campaign.pk))
    queued = Job.objects.filter(dedupe_key=f"notify.run:{campaign.pk}")
    assert queued.count() == 1 and queued.get().run_after is not None


def test_p_14_1_the_unreachable_get_one_public_announcement(
        make_person, create, staff_actors, start):
    nobody = [make_person(email=False, phone=False, account=False) for _ in range(2)]
    campaign = create([*nobody, make_person()], channels=("email", "announcement"))
    start(campaign)
    assert campaign.counts["unreachable"] == 2
    announcement = Announcement.objects.get(campaign=campaign)
    assert announcement.title_zh == "服务通知" and announcement.title_en == "Service notice"
    services.run(campaign_id=campaign.pk)  # a rerun publishes nothing more
    assert Announcement.objects.count() == 1
    assert (Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.UNREACHABLE)
            .count() == 2)


def test_p_14_1_without_the_announcement_channel_nothing_is_published(
        make_person, create, staff_actors, start):
    campaign = create([make_person(email=False, phone=False, account=False)],
                      channels=("email",))
    start(campaign)
    assert not Announcement.objects.exists()


def test_p_14_1_a_phone_task_is_recorded_by_staff(make_person, create, staff_actors,
                                                  start):
    person = make_person(email=False, account=False)
    campaign = create([person], channels=("email", "phone"))
    start(campaign)
    task = Delivery.objects.get(campaign=campaign)
    assert task.channel == Channel.PHONE and task.status == DeliveryStatus.PENDING
    services.record_call(actor=staff_actors[1], delivery=task, reached=False)
    task.refresh_from_db()
    assert task.status == DeliveryStatus.FAILED and task.called_by == str(staff_actors[1])


def test_p_14_1_a_failed_outbox_message_fails_the_delivery(
        make_person, create, staff_actors, smtp, start):
    smtp.answers.append("550 no such mailbox")
    campaign = create([make_person()], channels=("email",))
    start(campaign)
    delivery = Delivery.objects.get(campaign=campaign)
    assert delivery.status == DeliveryStatus.FAILED


def test_p_14_1_create_refuses_unknown_parts(create, make_person):
    for kwargs, code in [({"channels": ("fax",)}, "CHANNELS_INVALID"),
                         ({"template": "nope"}, "TEMPLATE_UNKNOWN"),
                         ({"kind": "gossip"}, "KIND_INVALID"),
                         ({"fields": {"fr": {}}}, "FIELDS_INVALID")]:
        with pytest.raises(services.NotifyError if code != "TEMPLATE_UNKNOWN"
                           else Exception) as refused:
            create([make_person()], **kwargs)
        assert refused.value.code == code
