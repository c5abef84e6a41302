"""Withdrawals coalesce their erasure runs: one pending job per minute of due time, however many
people and batches, and that one run erases every due withdrawal."""

import datetime

import pytest
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.consent import services as consent
from piwarden.consent import tasks as consent_tasks
from piwarden.consent.models import ErasureStatus, ScheduledErasure
from piwarden.jobs.models import Job, JobStatus
from piwarden.jobs.worker import Worker

pytestmark = pytest.mark.django_db
NOTICE = "We call you back about your enquiry. You can withdraw at any time."
TASK = consent_tasks.run_due_erasures.module_path


def _choices(leads, choice):
    return [{"subject": lead, "purpose": "lead.callback", "choice": choice,
             "notice_text": NOTICE, "channel": "web"} for lead in leads]


def _ceil_minute(moment: datetime.datetime) -> datetime.datetime:
    minute = moment.replace(second=0, microsecond=0)
    return minute if minute == moment else minute + datetime.timedelta(minutes=1)


def test_withdrawals_queue_one_erasure_job_per_due_minute(
        make_subject, fresh_caches, monkeypatch, django_capture_on_commit_callbacks):
    """Twelve people withdraw in one batch, then eight more in four batches: the erasures
    are due seven days on, and at most one run is pending per minute of due time (before,
    every batch queued its own). When the time comes, that one run erases them all."""
    Job.objects.filter(task_path=TASK).delete()
    leads = [make_subject("lead") for _ in range(20)]
    system = Actor.system("tests")
    consent.record_many(actor=system, items=_choices(leads, "grant"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        consent.record_many(actor=system, items=_choices(leads[:12], "withdraw"))
        for batch in range(4):
            consent.record_many(actor=system,
                                items=_choices(leads[12 + 2 * batch:14 + 2 * batch], "withdraw"))
    assert len(callbacks) >= 5  # each batch asked for its erasure run
    erasures = ScheduledErasure.objects.filter(subject__in=leads, status=ErasureStatus.PENDING)
    assert erasures.count() == 20
    minutes = {_ceil_minute(erasure.due_at) for erasure in erasures}
    pending = Job.objects.filter(task_path=TASK, status=JobStatus.READY)
    assert len(minutes) <= 2  # the batches took less than a minute
    assert sorted(job.run_after for job in pending) == sorted(minutes)
    assert {job.dedupe_key for job in pending} == {
        f"consent.erasure:{minute.astimezone(datetime.UTC):%Y-%m-%dT%H:%MZ}"
        for minute in minutes}
    assert min(minutes) - timezone.now() > datetime.timedelta(days=6, hours=23)

    # A week later: the run takes every due erasure, in rounds (three per round here).
    monkeypatch.setattr(consent_tasks, "ROUND", 3)
    erasures.update(due_at=timezone.now() - datetime.timedelta(seconds=1))
    pending.update(run_after=timezone.now())
    Worker(batch=True, heartbeat=False, handle_signals=False).run()
    assert not ScheduledErasure.objects.filter(subject__in=leads,
                                               status=ErasureStatus.PENDING).exists()
    assert set(Job.objects.filter(task_path=TASK).values_list("status", flat=True)) == {
        JobStatus.SUCCEEDED}
    assert sum(Job.objects.filter(task_path=TASK).values_list("return_value", flat=True)) == 20
