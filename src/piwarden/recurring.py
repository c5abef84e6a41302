"""Recurring background jobs: each one keeps exactly one pending run of itself queued."""

from django.utils import timezone


def schedule_once(task, *, at=None) -> bool:
    """Queue ``task`` unless a run of it is already waiting or running; True when one was
    queued.

    Called when ``piwarden serve`` starts and at the end of every run, so exactly one run is
    pending while the worker lives, whatever the number of restarts. The dedupe key is the
    task's module path (``jobs.services.enqueue_once``); the run that queues its successor
    hands the key on, so the chain never breaks and never doubles.
    """
    from piwarden.jobs.services import enqueue_once

    return enqueue_once(task, key=task.module_path, run_after=at or timezone.now()) is not None
