"""The separate consent to a transfer abroad, given on "who has my data" with the Art. 39
notice, and what the gateway does with it (X-7.2)."""

import html

import pytest

from piwarden.consent.models import ConsentState
from piwarden.sharing import services

from .conftest import CONSENT_FLOW
from .test_person_page import sign_in

pytestmark = pytest.mark.django_db
PAGE = "/privacy/sharing/"


@pytest.fixture
def abroad(make_record, activate):
    make_record(*CONSENT_FLOW)
    return activate(*CONSENT_FLOW)


def test_x_7_2_the_card_shows_the_art_39_notice_and_records_a_cross_border_consent(
        abroad, person_with, system_actor):
    person, other = (person_with(name=n, email=f"{i}@example.cn")
                     for i, n in enumerate(("王小明", "李华")))
    me = sign_in(person, "zh-hans")
    shown = html.unescape(me.get(PAGE).content.decode())
    for words in ("向中国大陆境外的公司提供您的个人信息的单独同意",
                  "Example Overseas Services Ltd.", "privacy@overseas.example.hk", "香港",
                  "向其行使权利的方式",
                  "您可通过上方的联系方式向境外接收方行使"):
        assert words in shown, words
    assert "separate.cross_border" not in shown and "crossborder.transfer" not in shown
    me.post(PAGE, {"flow": abroad.pk, "choice": "grant"})
    state = ConsentState.objects.get(subject=person)
    assert (state.purpose, state.scope, state.recipient) == (
        "crossborder.transfer", "separate.cross_border", "third_party.overseas")
    assert "向其行使权利的方式" in state.event.notice.text
    provision, _ = services.provide(actor=system_actor, flow=abroad,
                                    subject_ids=[person.pk, other.pk])
    assert provision.provided == 1
    assert provision.dropped == {"separate_consent_missing": 1}
