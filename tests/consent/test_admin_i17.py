"""The consent ledger in the console speaks in words (issue 17 points 3 and 9)."""

import hashlib

import pytest

from piwarden.catalog import labels
from piwarden.consent.models import ConsentEvent, Notice
from tests.staffreads.helpers import state_purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(person):
    notice = Notice.objects.create(sha256=hashlib.sha256(b"i17").hexdigest(), text="i17")
    return ConsentEvent.objects.create(subject=person, purpose="marketing.email",
                                       scope="separate.sensitive", choice="withdraw",
                                       policy_version="1", notice=notice, channel="web",
                                       actor_kind="person", actor_id=str(person.pk))


def test_i17_9_consent_admin_shows_words_with_the_key_beside(event, admin_client):
    """Purpose in words with its key in <code>, scope in words (key in title), the choice in
    staff wording, the person by the short form of their id."""
    state_purpose(admin_client, "consent/consentevent", "consent.management")
    page = admin_client.get("/admin/consent/consentevent/").content.decode()
    assert f"{labels.purpose('marketing.email', 'en')} <code>marketing.email</code>" in page
    assert f'<span title="separate.sensitive">{labels.scope("separate.sensitive", "en")}' \
        in page
    assert ">separate.sensitive<" not in page
    assert ">Withdrawn<" in page and "Withdrawn by you" not in page
    assert f'<code title="{event.subject_id}">{str(event.subject_id)[:8]}</code>' in page


def test_i17_9_consent_state_list_in_words(event, admin_client):
    from piwarden.consent.models import ConsentState

    ConsentState.objects.create(subject=event.subject, purpose=event.purpose, scope=event.scope,
                                choice=event.choice, policy_version="1",
                                changed_at=event.occurred_at, event=event)
    state_purpose(admin_client, "consent/consentstate", "consent.management")
    page = admin_client.get("/admin/consent/consentstate/").content.decode()
    assert "<code>marketing.email</code>" in page and ">Withdrawn<" in page
