"""A withdrawal that arrives while an item is being published still takes it down
(S-4.3.1): publishing holds the person's consent row until it commits (PostgreSQL)."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from piwarden.audit.actors import Actor
from piwarden.consent.models import Choice
from piwarden.publication import services
from piwarden.publication.models import PublishedItem, Status
from piwarden.subjects.services import create_subject

from .conftest import choose

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="row locks: PostgreSQL only")


def _in_thread(target, errors):
    def run():
        try:
            target()
        except Exception as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_s_4_3_1_a_withdrawal_during_publishing_still_takes_the_item_down(committed_db,
                                                                        monkeypatch):
    user = get_user_model().objects.create_user("race-editor", "race@operator.test", "x",
                                                is_staff=True)
    try:
        staff = Actor.staff(user)
        with transaction.atomic():
            person = create_subject(actor=staff, kind="account_holder")
        item = services.create_item(actor=staff, subject=person, kind="photo",
                                    title_zh="照片", title_en="Photo")
        item = services.request_consent(actor=staff, item=item)
        choose(item)

        holding, release = threading.Event(), threading.Event()
        hold = services._hold_ledger

        def slow_hold(locked_item):
            hold(locked_item)
            holding.set()
            release.wait(10)
        monkeypatch.setattr(services, "_hold_ledger", slow_hold)
        errors: list[Exception] = []
        publishing = _in_thread(lambda: services.publish(actor=staff, item=item), errors)
        assert holding.wait(10)
        withdrawing = _in_thread(lambda: choose(item, Choice.WITHDRAW), errors)
        withdrawing.join(1)
        assert withdrawing.is_alive()  # waits for the publication to commit
        release.set()
        publishing.join(10)
        withdrawing.join(10)
        assert not errors, errors
        item.refresh_from_db()
        assert item.status == Status.TAKEN_DOWN and item.published_at is not None
    finally:
        PublishedItem.objects.filter(created_by=user).delete()
        user.delete()
