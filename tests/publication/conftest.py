"""Fixtures of the publication tests: a signed-in person, staff, and items at each step."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from piwarden.accounts.models import Account
from piwarden.audit.actors import Actor
from piwarden.consent.models import Choice
from piwarden.publication import consents, services

# The smallest PNG: its signature is all the vault's type check reads.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """No cached decision outlives a test's rollback."""


@pytest.fixture
def staff():
    user = get_user_model().objects.create_user("editor", "editor@operator.test", "x",
                                                is_staff=True)
    return Actor.staff(user)


def sign_in(subject, lang="en", **client_options) -> Client:
    user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}", password=None)
    Account.objects.create(user=user, subject=subject)
    client = Client(**client_options)
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


def png(name="me.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def make_item(staff, person):
    def make(subject=None, *, requested=True, image=False, **values):
        content = {"kind": "testimonial", "title_zh": "王女士的评价",
                   "title_en": "Ms Wang's testimonial", "body_zh": "服务很好。",
                   "body_en": "Great service.", **values}
        item = services.create_item(actor=staff, subject=subject or person,
                                    image=png() if image else None, **content)
        return services.request_consent(actor=staff, item=item) if requested else item
    return make


def choose(item, choice=Choice.GRANT, lang="en"):
    return consents.record(actor=Actor.person(item.subject), item=item, choice=choice,
                           lang=lang)


@pytest.fixture
def published(make_item, staff):
    """A consented, published item about ``person``."""
    item = make_item(image=True)
    choose(item)
    return services.publish(actor=staff, item=item)


@pytest.fixture
def signal_missed():
    """The ledger's signal reaches no publication receiver (a takedown that failed)."""
    from piwarden.consent.signals import consent_ended

    consent_ended.disconnect(dispatch_uid="publication.on_consent_ended")
    yield
    consent_ended.connect(services.on_consent_ended,
                          dispatch_uid="publication.on_consent_ended")
