"""The public rights-request code under parallel use (issue 16, part 2): attempts and sends are
counted in the database, one at a time, not in the session."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from piwarden.accounts.models import ThrottleEvent
from piwarden.outbox.models import Message
from piwarden.rights import public
from piwarden.rights.models import CodeChallenge

RIGHT = "246810"
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="parallel writers: SQLite's test database is shared "
                                        "in memory and refuses a second writer at once")


def _challenge(subject, code: str = RIGHT) -> dict:
    """A session naming a fresh challenge whose code the test knows."""
    pk = uuid.uuid4()
    CodeChallenge.objects.create(id=pk, subject=subject, digest=public._digest(str(pk), code),
                                 expires_at=timezone.now() + public.CODE_TTL)
    return {public.SESSION_KEY: str(pk)}


def _outcome(call) -> str:
    try:
        call()
    except public.CodeError as exc:
        return exc.code
    return "OK"


def _parallel(calls) -> list[str]:
    """Run the calls at once, each in its own thread and database connection."""
    results, barrier = [None] * len(calls), threading.Barrier(len(calls))

    def run(i):
        try:
            barrier.wait(10)
            results[i] = _outcome(calls[i])
        except Exception as exc:  # reported by the assertion below
            results[i] = repr(exc)
        finally:
            connection.close()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db
def test_right_code_after_too_many_wrong_ones_is_refused(make_lead):
    """Five wrong codes use up the challenge: the right one is then refused."""
    session = _challenge(make_lead())
    for _ in range(public.ATTEMPTS):
        assert _outcome(lambda: public.confirm(session, code="000000")) == "CODE_INVALID"
    assert _outcome(lambda: public.confirm(session, code=RIGHT)) == "CODE_ATTEMPTS_EXCEEDED"
    assert public.verified_subject(session) is None


@pytest.mark.django_db
def test_the_counter_is_the_challenge_not_the_session(make_lead):
    """A copy of the session (a second browser tab, a replay) shares the attempt counter."""
    session = _challenge(make_lead())
    for _ in range(public.ATTEMPTS):
        assert _outcome(lambda: public.confirm(dict(session), code="000000")) == "CODE_INVALID"
    assert _outcome(lambda: public.confirm(dict(session), code=RIGHT)) != "OK"


@pytest.mark.django_db
def test_a_right_code_works_once(make_lead):
    lead = make_lead()
    session = _challenge(lead)
    replay = dict(session)
    assert public.confirm(session, code=RIGHT) == lead
    assert public.verified_subject(session) == lead
    assert _outcome(lambda: public.confirm(replay, code=RIGHT)) == "CODE_EXPIRED"


@pytest.mark.django_db
def test_an_expired_code_is_refused(make_lead):
    session = _challenge(make_lead())
    CodeChallenge.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert _outcome(lambda: public.confirm(session, code=RIGHT)) == "CODE_EXPIRED"


@pytest.mark.django_db
def test_sends_to_one_address_stop_at_the_limit(make_lead):
    """Written the way the address was typed or as stored, it is one address."""
    lead = make_lead()
    local = lead.test_phone.removeprefix("+86")
    for i in range(public.SENDS_PER_ADDRESS):
        public.start({}, channel="phone", value=lead.test_phone if i % 2 else local,
                     ip=f"10.0.0.{i}")
    assert _outcome(lambda: public.start({}, channel="phone", value=f" {local} ",
                                         ip="10.0.1.1")) == "RATE_LIMITED"
    assert CodeChallenge.objects.filter(subject=lead).count() == public.SENDS_PER_ADDRESS


@on_postgres
def test_parallel_wrong_guesses_are_evaluated_at_most_the_limit(committed_db, make_lead):
    """Ten wrong codes at once: at most five are compared, the rest refused; the right code
    afterwards is refused (issue 16: 9 of 10 were compared, then the right one accepted)."""
    session = _challenge(make_lead())
    results = _parallel([lambda i=i: public.confirm(dict(session), code=f"00000{i}")
                         for i in range(10)])
    assert sorted(set(results)) == ["CODE_ATTEMPTS_EXCEEDED", "CODE_INVALID"], results
    assert results.count("CODE_INVALID") == public.ATTEMPTS
    assert CodeChallenge.objects.get().attempts == public.ATTEMPTS
    assert _outcome(lambda: public.confirm(session, code=RIGHT)) == "CODE_ATTEMPTS_EXCEEDED"


@on_postgres
def test_parallel_sends_to_one_address_send_the_limit(committed_db, make_lead):
    """Nine sends at once to one address against a limit of five: five codes are queued
    (issue 16: all nine were sent)."""
    lead = make_lead()
    scopes = ("rights.code_ip", "rights.code_target")
    try:
        results = _parallel([lambda i=i: public.start({}, channel="phone", value=lead.test_phone,
                                                      ip=f"10.1.0.{i}") for i in range(9)])
        assert results.count("OK") == public.SENDS_PER_ADDRESS, results
        assert results.count("RATE_LIMITED") == 9 - public.SENDS_PER_ADDRESS, results
        assert Message.objects.filter(subject=lead, kind="rights.code").count() == 5
        assert ThrottleEvent.objects.filter(scope="rights.code_target").count() == 5
    finally:
        ThrottleEvent.objects.filter(scope__in=scopes).delete()


@on_postgres
def test_parallel_sends_from_one_address_stop_at_the_ip_limit(committed_db, make_lead):
    leads = [make_lead() for _ in range(12)]
    try:
        results = _parallel([lambda lead=lead: public.start({}, channel="phone",
                                                            value=lead.test_phone,
                                                            ip="10.2.0.1") for lead in leads])
        assert results.count("OK") == public.SENDS_PER_IP, results
    finally:
        ThrottleEvent.objects.filter(scope__startswith="rights.code").delete()
