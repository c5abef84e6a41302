"""Tasks for the jobs tests only; the worker processes the tests start import them from here
(they run with the repository as their working directory)."""

import os
import signal
import time
from pathlib import Path

from django.db import transaction
from django_tasks import task

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent

ACTOR = Actor.system("tests.jobs")
PHONE = "13912345678"  # stands for PI that reaches a task's code or its error message


def _once(action: str, key: str) -> bool:
    """Write the audit record ``action`` for ``key`` unless it exists (an idempotent step)."""
    with transaction.atomic():
        if AuditEvent.objects.filter(action=action, detail__key=key).exists():
            return False
        audit.record(actor=ACTOR, action=action, detail={"key": key})
        return True


@task()
def two_steps(key: str, folder: str) -> list[str]:
    """Step one, then wait while ``folder/hold`` exists (the test kills the worker there), then
    step two; each step runs once however often the task is run."""
    done = ["one"] if _once("tests.step_one", key) else []
    Path(folder, f"inside-{os.getpid()}").write_text("step one done")
    while Path(folder, "hold").exists():
        time.sleep(0.05)
    if _once("tests.step_two", key):
        done.append("two")
    return done


@task()
def sleepy(folder: str, seconds: float) -> str:
    Path(folder, "started").write_text("yes")
    time.sleep(seconds)
    Path(folder, "finished").write_text("yes")
    return "slept"


@task()
def kill_my_worker() -> None:
    """A poison job: the process running it dies every time (an OOM kill, a segfault)."""
    os.kill(os.getpid(), signal.SIGKILL)


@task()
def boom(phone: str) -> None:
    raise ValueError(f"cannot reach {phone}")


@task()
def answer(value: int) -> dict:
    return {"value": value}


@task(takes_context=True)
def which_attempt(context) -> int:
    return context.attempt


@task(priority=10)
def urgent() -> str:
    return "urgent"
