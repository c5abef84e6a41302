"""Two hosts on one database: a withdrawal on one is honoured by the other within a second."""

import json
import signal
import time

import pytest
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.clients.services import create_client
from piwarden.consent import services as consent

from . import servers

pytestmark = pytest.mark.slow
NOTICE = "We would like to ask you about our service now and then."


def _decide(base: str, key: str, subject) -> bool:
    status, body = servers.call("POST", f"{base}/api/v1/consent/decisions",
                                {"items": [{"subject": str(subject.pk), "purpose": "survey"}]},
                                {"Authorization": f"Bearer {key}"})
    assert status == 200, body
    return json.loads(body)["results"][0]["allowed"]


def _answers(base: str, key: str, subject, last: list) -> bool:
    last[:] = servers.call("POST", f"{base}/api/v1/consent/decisions",
                           {"items": [{"subject": str(subject.pk), "purpose": "survey"}]},
                           {"Authorization": f"Bearer {key}"})
    return last[0] == 200


def test_a_withdrawal_on_one_host_is_honoured_by_the_other_within_a_second(
        committed_db, test_database_url, make_subject, system_actor):
    """Caches on host B are warm when host A records the withdrawal; B's next decisions deny.

    No setting tells the hosts about each other: the database reports the change."""
    person = make_subject()
    with transaction.atomic():
        _, key = create_client(actor=system_actor, name="two-hosts",
                               scopes=["consent:decide", "consent:write"])
        consent.grant(actor=Actor.person(person), subject=person, purpose="survey",
                      notice_text=NOTICE, channel="web")
    host_a, base_a = servers.start(test_database_url, workers=2)
    host_b, base_b = servers.start(test_database_url, workers=2)
    try:
        # Just started: wait until host B answers API calls at all (SQLite under load).
        last = []
        if not servers.wait_until(lambda: _answers(base_b, key, person, last), seconds=30):
            for host in (host_a, host_b):
                host.send_signal(signal.SIGINT)
            output = [host.communicate(timeout=60)[0] for host in (host_a, host_b)]
            raise AssertionError(f"host B answered {last}; the hosts printed {output}")
        for _ in range(20):  # every web process of host B has the grant cached
            assert _decide(base_b, key, person) is True
        status, body = servers.call(
            "POST", f"{base_a}/api/v1/consent/subjects/{person.pk}/events",
            {"purpose": "survey", "choice": "withdraw", "notice_text": NOTICE},
            {"Authorization": f"Bearer {key}"})
        assert status == 201, body
        withdrawn_at = time.monotonic()
        assert servers.wait_until(lambda: _decide(base_b, key, person) is False, seconds=1.0)
        assert time.monotonic() - withdrawn_at < 1.0
        # The first denial may come from one web process while the other is still polling;
        # the promise is a second for all of them, so from then on nothing allows.
        time.sleep(max(0.0, withdrawn_at + 1.0 - time.monotonic()))
        assert not any(_decide(base_b, key, person) for _ in range(20))
    finally:
        for host in (host_a, host_b):
            host.send_signal(signal.SIGINT)
        for host in (host_a, host_b):
            host.communicate(timeout=60)
