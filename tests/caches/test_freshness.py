"""Caches stay right across processes and hosts: the database reports every change."""

import time

import pytest
from django.db import connection

from piwarden.caches import freshness, triggers
from piwarden.clients.models import ApiClient
from piwarden.subjects.models import Subject, SubjectStatus


def _wait_for(condition, seconds=5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def watcher(committed_db):
    freshness.start_watcher()
    assert _wait_for(lambda: freshness.token(0) == freshness.token(0)), "watcher never connected"
    yield
    freshness.stop_watcher()


@pytest.mark.django_db
def test_every_watched_table_has_its_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'piwarden_changes_%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND name LIKE 'piwarden_changes_%'")
        installed = {name for (name,) in cursor.fetchall()}
    for table, _, _, events in triggers.WATCHED:
        for event in events:
            assert any(name.startswith(triggers._name(table, event)) for name in installed)


def test_a_change_written_by_another_process_reaches_this_ones_caches(watcher, make_subject):
    """An UPDATE that runs no piwarden code (as if another host made it) bumps the token."""
    subject = make_subject()
    slot = freshness.bucket(subject.pk)
    before = freshness.token(slot)
    Subject.objects.filter(pk=subject.pk).update(status=SubjectStatus.RESTRICTED)
    assert _wait_for(lambda: freshness.token(slot) != before, seconds=1.0)


def test_a_revoked_key_reaches_every_process(watcher, system_actor):
    from django.db import transaction

    from piwarden.clients.services import create_client

    with transaction.atomic():
        client, _ = create_client(actor=system_actor, name="freshness", scopes=["catalog:read"])
    before = freshness.token(freshness.API_CLIENTS)
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    assert _wait_for(lambda: freshness.token(freshness.API_CLIENTS) != before, seconds=1.0)


def test_a_rolled_back_change_reports_nothing(watcher, make_subject):
    from django.db import transaction

    subject = make_subject()
    slot = freshness.bucket(subject.pk)
    before = freshness.token(slot)
    with pytest.raises(RuntimeError), transaction.atomic():
        Subject.objects.filter(pk=subject.pk).update(status=SubjectStatus.RESTRICTED)
        raise RuntimeError
    time.sleep(0.3)
    assert freshness.token(slot) == before


def test_a_state_update_is_reported_only_when_the_choice_changes(watcher, make_subject):
    """A grant repeated as a fresh affirmation moves the state's time and event on and leaves
    every cached decision right: no process is woken. A changed choice is reported."""
    from django.db import transaction

    from piwarden.audit.actors import Actor
    from piwarden.consent import services as consent
    from piwarden.consent.models import ConsentState

    subject = make_subject()
    with transaction.atomic():
        consent.grant(actor=Actor.person(subject), subject=subject, purpose="survey",
                      notice_text="We would like to ask you about our service.", channel="web")
    slot = freshness.bucket(subject.pk)
    time.sleep(0.3)  # the grant's own report has arrived
    before = freshness.token(slot)
    states = ConsentState.objects.filter(subject=subject, purpose="survey")
    states.update(changed_at=states.get().changed_at, policy_version="again")
    time.sleep(0.3)
    assert freshness.token(slot) == before
    states.update(choice="withdraw")
    assert _wait_for(lambda: freshness.token(slot) != before, seconds=1.0)


def test_a_watcher_that_missed_changes_forgets_everything_it_cached(watcher):
    """PostgreSQL: the watcher's connection is cut; SQLite: change rows it never read were
    pruned. Either way it cannot know what it missed: every slot gets a new token."""
    before = freshness.token(123)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE application_name = 'piwarden-freshness'")
        else:
            cursor.execute("INSERT INTO caches_change (id, subject_id, slot, at) SELECT "
                           "coalesce(max(id), 0) + 5, '', 1, '2000-01-01' FROM caches_change")
    assert _wait_for(lambda: freshness.token(123) != before and
                     freshness.token(123) == freshness.token(123), seconds=10)


def test_without_a_watcher_a_process_still_sees_its_own_changes(db, make_subject):
    subject = make_subject()
    slot = freshness.bucket(subject.pk)
    before = freshness.token(slot)
    freshness.subject_changed(subject.pk)
    assert freshness.token(slot) != before
