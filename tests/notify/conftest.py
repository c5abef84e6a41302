"""Fixtures of the notify tests: people with accounts and contacts (rows written directly,
values through the vault), the outbox's local SMTP server and SMS file, staff actors."""

import itertools
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from piwarden.accounts.models import Account
from piwarden.audit.actors import Actor
from piwarden.subjects.models import SubjectKind
from piwarden.subjects.services import create_subject
from piwarden.vault import services as vault
from tests.outbox.conftest import (  # noqa: F401  (fixtures)
    _smtp_controller,
    immediate_tasks,
    sms_file,
    smtp,
)

_numbers = itertools.count(1)


@pytest.fixture
def make_person(system_actor):
    """make_person(email=True, phone=True, email_verified=True, phone_verified=True,
    account=True): a subject with the contact values and account asked for."""

    def make(*, email=True, phone=True, email_verified=True, phone_verified=True,
             account=True):
        n = next(_numbers)
        with transaction.atomic():
            subject = create_subject(actor=system_actor, kind=SubjectKind.ACCOUNT_HOLDER)
            if email:
                vault.put(actor=system_actor, subject=subject, field="email",
                          value=f"notify.person{n}@example.cn", purpose="account.registration")
            if phone:
                vault.put(actor=system_actor, subject=subject, field="phone",
                          value=f"+86137{n:08d}", purpose="account.registration")
            if account:
                user = get_user_model().objects.create_user(uuid.uuid4().hex)
                now = timezone.now()
                Account.objects.create(
                    user=user, subject=subject,
                    email_verified_at=now if email and email_verified else None,
                    phone_verified_at=now if phone and phone_verified else None)
        subject.test_email = f"notify.person{n}@example.cn" if email else None
        subject.test_phone = f"+86137{n:08d}" if phone else None
        return subject

    return make


@pytest.fixture
def staff_actors():
    users = [get_user_model().objects.create_user(f"staff{i}-{uuid.uuid4().hex[:6]}",
                                                  is_staff=True) for i in (1, 2)]
    return [Actor.staff(user) for user in users]


FIELDS = {"en": {"title": "Service notice", "text": "Something you should know."},
          "zh-hans": {"title": "服务通知", "text": "您需要知道的事情。"}}


@pytest.fixture
def create(staff_actors):
    from piwarden.notify import services

    def make(people, *, channels=("email", "sms", "site"), fields=None, actor=None, **extra):
        with transaction.atomic():
            return services.create_campaign(
                actor=actor or staff_actors[0], kind=extra.pop("kind", "other"),
                template=extra.pop("template", "notify.general"),
                fields=fields if fields is not None else FIELDS,
                audience="subjects.listed",
                audience_params={"subject_ids": [str(p.pk) for p in people]},
                channels=list(channels), title=extra.pop("title", "A notice"), **extra)

    return make


@pytest.fixture
def start(request, staff_actors, django_capture_on_commit_callbacks):
    """Start a campaign and run what its commit queues (the job, the chunks' deliveries)."""
    from piwarden.notify import services

    request.getfixturevalue("immediate_tasks")

    def run(campaign, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            services.start(actor=actor or staff_actors[0], campaign=campaign)
        campaign.refresh_from_db()
        return campaign

    return run
