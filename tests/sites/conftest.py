"""Fixtures of the sites tests: fresh memos, a published policy, people with accounts,
staff clients, and moving a service past its end date."""

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone

from piwarden.accounts.models import Account
from piwarden.sites import guard, selectors
from piwarden.sites.models import Offering
from piwarden.subjects.models import SubjectKind
from piwarden.subjects.services import create_subject


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """No memo of the sites tables outlives a test (its rows roll back)."""
    guard.reset()
    selectors.reset()
    yield
    guard.reset()
    selectors.reset()


@pytest.fixture
def published(db, system_actor):
    """The shipped catalog's policy version, published (the policy in force)."""
    from piwarden.policy import services

    draft = services.create_draft(actor=system_actor)
    return services.publish(actor=system_actor, version=draft.version)


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(f"staff-{uuid.uuid4().hex[:8]}", is_staff=True)


@pytest.fixture
def make_person(system_actor):
    """A subject with an account (no contact values): what the pages need to sign in."""

    def make():
        with transaction.atomic():
            subject = create_subject(actor=system_actor, kind=SubjectKind.ACCOUNT_HOLDER)
            user = get_user_model().objects.create_user(uuid.uuid4().hex)
            Account.objects.create(user=user, subject=subject)
        return subject

    return make


@pytest.fixture
def signed_in(make_person):
    subject = make_person()
    client = Client()
    client.force_login(subject.account.user)
    client.subject = subject
    return client


def offering(function: str) -> Offering:
    """The default site's service of a catalog function (seeded by the catalog load)."""
    return Offering.objects.get(function=function)


def in_days(days: int) -> datetime.date:
    """A date ``days`` days from today, China time."""
    return (timezone.now() + datetime.timedelta(days=days)).astimezone(
        datetime.timezone(datetime.timedelta(hours=8))).date()


def past_end(item: Offering) -> None:
    """As if the notice went out 16 days ago and the end date has just come."""
    now = timezone.now()
    Offering.objects.filter(pk=item.pk).update(
        notice_published_at=now - datetime.timedelta(days=16),
        ends_at=now - datetime.timedelta(minutes=1))
    guard.reset()
