"""The job backend and the worker in this process: enqueue and results, the claim order,
back-off and the dead letter, leases taken back, enqueue_once, the staff retry, queue_stats."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus

from piwarden import recurring
from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.jobs import selectors, services
from piwarden.jobs.backend import current_job
from piwarden.jobs.models import Job, JobStatus, WorkerBeat
from piwarden.jobs.worker import Worker, claim, fail, format_error, new_worker_id, succeed
from tests.staff import staff_client

from . import tasks

SYSTEM = Actor.system("tests")


def run_worker(**options) -> int:
    """A batch worker in this process (no heartbeat thread, no signal handlers)."""
    return Worker(batch=True, heartbeat=False, handle_signals=False, **options).run()


def ago(seconds: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


@pytest.mark.django_db
def test_enqueue_writes_a_ready_job_and_the_worker_records_the_result():
    """Arguments, priority and the default attempts are kept; the result is read back."""
    result = tasks.answer.using(priority=5).enqueue(7)
    job = Job.objects.get(pk=result.id)
    assert (job.status, job.task_path, job.args, job.kwargs, job.priority, job.attempts,
            job.max_attempts, job.dedupe_key) == (
        JobStatus.READY, "tests.jobs.tasks.answer", [7], {}, 5, 0, 3, None)
    assert result.status == TaskResultStatus.READY
    assert run_worker() == 0
    done = tasks.answer.get_result(result.id)
    assert (done.status, done.return_value, done.attempts) == (
        TaskResultStatus.SUCCESSFUL, {"value": 7}, 1)
    job.refresh_from_db()
    assert job.finished_at >= job.started_at >= job.enqueued_at and job.lease_until is None


@pytest.mark.django_db
def test_a_job_queued_in_a_rolled_back_transaction_never_exists():
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        result = tasks.answer.enqueue(1)
        raise Undo
    assert not Job.objects.filter(pk=result.id).exists()


@pytest.mark.django_db
def test_the_claim_takes_due_jobs_by_priority_and_leaves_deferred_ones():
    Job.objects.all().delete()
    later = tasks.answer.using(run_after=timezone.now() + datetime.timedelta(hours=1)).enqueue(1)
    normal = tasks.answer.enqueue(2)
    first = tasks.urgent.enqueue()
    worker = new_worker_id()
    assert str(claim(worker_id=worker).pk) == first.id
    job = claim(worker_id=worker)
    assert str(job.pk) == normal.id and job.status == JobStatus.RUNNING
    assert job.attempts == 1 and job.worker_id == worker
    assert job.lease_until - job.started_at == datetime.timedelta(seconds=60)
    assert claim(worker_id=worker) is None
    assert Job.objects.get(pk=later.id).status == JobStatus.READY
    assert selectors.next_wake() == Job.objects.get(pk=first.id).lease_until


@pytest.mark.django_db
def test_a_failure_backs_off_doubling_then_the_job_is_dead_with_an_alert(caplog):
    """The error keeps the exception class and the stack, never its message (which quoted
    a phone number), and neither do the logs."""
    result = tasks.boom.enqueue(tasks.PHONE)
    for attempt, wait in ((1, 10), (2, 20)):  # seconds: PIWARDEN_TASK_BACKOFF_SECONDS, doubled
        before = timezone.now()
        run_worker()
        after = timezone.now()
        job = Job.objects.get(pk=result.id)
        assert (job.status, job.attempts) == (JobStatus.READY, attempt)
        backoff = datetime.timedelta(seconds=wait)
        assert before + backoff <= job.run_after <= after + backoff
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    assert job.error_class == "ValueError" and "tests/jobs/tasks.py" in job.last_error
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DEAD, 3) and job.finished_at
    alert = Alert.objects.get(kind="task.dead")
    assert alert.objects_concerned == [f"jobs.job:{job.pk}"]
    assert alert.detail == {"task": "tests.jobs.tasks.boom", "job": str(job.pk), "attempts": 3,
                            "error": "ValueError"}
    assert tasks.boom.get_result(result.id).status == TaskResultStatus.FAILED
    assert tasks.PHONE not in job.last_error and tasks.PHONE not in caplog.text
    assert tasks.PHONE not in alert.summary
    assert str(job.pk) in caplog.text and "tests.jobs.tasks.boom" in caplog.text


def test_an_error_keeps_the_stack_of_its_causes_without_messages():
    phone, email = tasks.PHONE, "wang@example.cn"
    try:
        try:
            raise KeyError(phone)
        except KeyError as cause:
            raise RuntimeError(email) from cause
    except RuntimeError as error:
        text = format_error(error)
    assert text.splitlines()[0] == "RuntimeError"
    assert "KeyError (message not kept)" in text and "RuntimeError (message not kept)" in text
    assert phone not in text and email not in text


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_taken_again_and_one_out_of_attempts_is_dead():
    """A lease that passed means the worker is gone: the job runs again (attempt 2). A job
    taken back with its attempts used up (it killed every worker) is given up unrun."""
    result = tasks.answer.enqueue(1)
    job = claim(worker_id="host:1:gone")
    Job.objects.filter(pk=job.pk).update(lease_until=ago(1))
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.return_value) == (JobStatus.SUCCEEDED, 2, {"value": 1})
    assert job.error_class == "piwarden.jobs.worker.LeaseExpired"
    assert "host:1:gone" in job.last_error
    poison = Job.objects.get(pk=tasks.answer.enqueue(2).id)
    Job.objects.filter(pk=poison.pk).update(status=JobStatus.RUNNING, attempts=3,
                                            lease_until=ago(1), worker_id="host:2:gone")
    run_worker()
    poison.refresh_from_db()
    assert (poison.status, poison.attempts, poison.return_value) == (JobStatus.DEAD, 3, None)
    assert Alert.objects.filter(kind="task.dead", detail__job=str(poison.pk)).exists()
    assert str(result.id) != str(poison.pk)


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_cannot_overwrite_the_run_that_took_over():
    tasks.answer.enqueue(1)
    mine = claim(worker_id="a")
    Job.objects.filter(pk=mine.pk).update(lease_until=ago(1))
    theirs = claim(worker_id="b")
    assert (theirs.pk, theirs.attempts) == (mine.pk, 2)
    assert succeed(mine, worker_id="a", value=1) is False
    assert fail(mine, worker_id="a", error=ValueError()) == "lost"
    assert succeed(theirs, worker_id="b", value=2) is True
    assert Job.objects.get(pk=mine.pk).return_value == 2


@pytest.mark.django_db
def test_a_task_taking_its_context_sees_the_attempt():
    result = tasks.which_attempt.enqueue()
    run_worker()
    assert tasks.which_attempt.get_result(result.id).return_value == 1


@pytest.mark.django_db
def test_enqueue_once_keeps_one_pending_job_per_key():
    """Ready or running, a job holds its key; once it finished the key is free again. The
    database itself refuses a second pending job with the key."""
    assert services.enqueue_once(tasks.answer, key="k", args=(1,)) is not None
    assert services.enqueue_once(tasks.answer, key="k", args=(2,)) is None
    job = claim(worker_id="w")
    assert job.dedupe_key == "k"
    assert services.enqueue_once(tasks.answer, key="k", args=(3,)) is None
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(task_path="tests.jobs.tasks.answer", args=[4], dedupe_key="k")
    succeed(job, worker_id="w", value=None)
    later = timezone.now() + datetime.timedelta(minutes=5)
    queued = services.enqueue_once(tasks.answer, key="k", args=(5,), run_after=later)
    assert Job.objects.get(pk=queued.id).run_after == later
    assert Job.objects.filter(dedupe_key="k").count() == 2


@pytest.mark.django_db
def test_enqueue_once_under_another_backend_just_enqueues(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = services.enqueue_once(tasks.answer, key="k", args=(1,))
    assert result.return_value == {"value": 1} and not Job.objects.filter(dedupe_key="k")


@pytest.mark.slow
def test_enqueue_once_racing_callers_queue_one_job(committed_jobs):
    """Two processes' worth of callers at the same moment: the constraint lets one through."""
    barrier, results = threading.Barrier(4), []

    def call():
        try:
            barrier.wait()
            results.append(services.enqueue_once(tasks.answer, key="race", args=(1,)))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert Job.objects.filter(dedupe_key="race").count() == 1


@pytest.mark.django_db
def test_a_recurring_task_hands_its_key_to_its_next_run(fresh_caches):
    """``schedule_once`` keeps one run pending; the run that queues its successor gives it
    the key, so the chain goes on and never doubles."""
    from piwarden.collection import tasks as collection

    Job.objects.filter(task_path=collection.run_retention.module_path).delete()
    assert recurring.schedule_once(collection.run_retention) is True
    assert recurring.schedule_once(collection.run_retention) is False
    first = Job.objects.get(task_path=collection.run_retention.module_path)
    run_worker()
    first.refresh_from_db()
    assert first.status == JobStatus.SUCCEEDED and first.dedupe_key is None
    [second] = Job.objects.filter(task_path=collection.run_retention.module_path,
                                  status=JobStatus.READY)
    assert second.dedupe_key == collection.run_retention.module_path
    assert second.run_after > timezone.now() + datetime.timedelta(minutes=59)
    assert recurring.schedule_once(collection.run_retention) is False
    # Only the job that holds the key hands it on.
    token = current_job.set(first.pk)
    try:
        assert recurring.schedule_once(collection.run_retention) is False
    finally:
        current_job.reset(token)


@pytest.mark.django_db
def test_staff_retry_a_dead_job_from_the_console_and_it_is_audited():
    result = tasks.boom.enqueue(tasks.PHONE)
    for _ in range(3):
        Job.objects.filter(pk=result.id).update(run_after=timezone.now())
        run_worker()
    job = Job.objects.get(pk=result.id)
    assert job.status == JobStatus.DEAD
    reader = staff_client("jobs", "view_job", "view_workerbeat", name="reader")
    page = reader.get("/admin/jobs/job/?status__exact=dead")
    assert page.status_code == 200 and b"boom" in page.content and b"ValueError" in page.content
    assert b"Retry" not in page.content
    assert reader.get(f"/admin/jobs/job/?task={job.task_path}").status_code == 200
    assert reader.get(f"/admin/jobs/job/{job.pk}/change/").status_code == 200
    assert reader.get("/admin/jobs/job/add/").status_code == 403
    assert reader.get("/admin/jobs/workerbeat/").status_code == 200
    operator = staff_client("jobs", "view_job", "change_job", name="operator")
    response = operator.post("/admin/jobs/job/", {"action": "retry",
                                                  "_selected_action": [str(job.pk)]})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.READY, 0) and job.run_after <= timezone.now()
    record = AuditEvent.objects.get(action="jobs.retried")
    assert (record.actor_kind, record.actor_id, record.object_id) == (
        "staff", str(operator.user.pk), str(job.pk))
    assert record.detail == {"task": "tests.jobs.tasks.boom", "from": "dead", "attempts": 3}
    with pytest.raises(services.JobError) as refused:
        services.retry(actor=SYSTEM, job=job)  # ready: nothing to retry
    assert refused.value.code == "NOT_RETRYABLE"


@pytest.mark.django_db
def test_a_stuck_job_can_be_retried_but_a_live_one_cannot():
    tasks.answer.enqueue(1)
    job = claim(worker_id="w")
    with pytest.raises(services.JobError):
        services.retry(actor=SYSTEM, job=job)
    Job.objects.filter(pk=job.pk).update(lease_until=ago(5))
    assert services.retry(actor=SYSTEM, job=job).status == JobStatus.READY


@pytest.mark.django_db
def test_queue_stats_counts_due_running_dead_and_live_workers(settings):
    Job.objects.all().delete()
    WorkerBeat.objects.all().delete()
    assert selectors.queue_stats() == {"ready_due": 0, "oldest_due_age_s": 0, "running": 0,
                                       "dead": 0, "workers": 0, "last_beat_age_s": None}
    now = timezone.now()

    def job(status, run_after):
        Job.objects.create(task_path="tests.jobs.tasks.urgent", status=status,
                           run_after=run_after)

    job(JobStatus.READY, now - datetime.timedelta(seconds=30))
    job(JobStatus.READY, now - datetime.timedelta(seconds=5))
    job(JobStatus.READY, now + datetime.timedelta(seconds=60))
    job(JobStatus.RUNNING, now - datetime.timedelta(seconds=90))
    job(JobStatus.DEAD, now - datetime.timedelta(hours=2))
    job(JobStatus.DEAD, now - datetime.timedelta(hours=1))
    job(JobStatus.SUCCEEDED, now - datetime.timedelta(hours=1))
    for name, beat in (("live", 10), ("gone", 3600)):
        WorkerBeat.objects.create(worker_id=name, hostname="h", pid=1,
                                  beat_at=now - datetime.timedelta(seconds=beat))
    assert selectors.queue_stats(now=now) == {
        "ready_due": 2, "oldest_due_age_s": 30.0, "running": 1, "dead": 2, "workers": 1,
        "last_beat_age_s": 10.0}


@pytest.mark.django_db
def test_old_succeeded_jobs_are_pruned_dead_and_pending_ones_stay(settings):
    """Succeeded jobs go ``PIWARDEN_JOBS_KEPT_DAYS`` after they finished; a dead job waits
    for staff and a pending one for its worker, however old."""
    settings.PIWARDEN_JOBS_KEPT_DAYS = 7
    path = tasks.answer.module_path
    old, recent = ago(8 * 86400), ago(6 * 86400)
    pruned = Job.objects.create(task_path=path, status=JobStatus.SUCCEEDED, finished_at=old)
    kept = [Job.objects.create(task_path=path, status=JobStatus.SUCCEEDED, finished_at=recent),
            Job.objects.create(task_path=path, status=JobStatus.DEAD, finished_at=old),
            Job.objects.create(task_path=path, status=JobStatus.READY, enqueued_at=old)]
    assert services.prune_succeeded() == 1
    assert not Job.objects.filter(pk=pruned.pk).exists()
    assert Job.objects.filter(pk__in=[job.pk for job in kept]).count() == 3
