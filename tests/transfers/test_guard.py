"""Cross-border transfers through the gateway: mechanism, yearly counters, the split at a
threshold, separate consent only where the transfer rests on consent (X-7.2, S-4.1.2b)."""

import datetime

import pytest
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.consent import services as consent
from piwarden.consent.models import Channel
from piwarden.sharing import services
from piwarden.sharing.models import Counterparty, Disclosure, Flow
from piwarden.transfers import guard, rules
from piwarden.transfers import services as transfers
from piwarden.transfers.models import CountedPerson, Hold, YearCounter

pytestmark = pytest.mark.django_db

STORAGE = ("sharing.processors", "processor.data_storage")  # Singapore, basis: contract
OVERSEAS = ("crossborder.overseas_transfer", "third_party.overseas")  # Hong Kong, consent
NOTICE = {"notice_zh": "向境外接收方行使权利：privacy@overseas.example.hk",
          "notice_en": "Exercise your rights against the recipient: privacy@overseas.example.hk"}
def contract(**changes):
    today = timezone.localdate()
    return {"mechanism": "standard_contract", "important_data": "none", "reference":
            "SCC-2026-001", "effective_on": today - datetime.timedelta(days=5), **NOTICE,
            **changes}


@pytest.fixture
def overseas(activate, system_actor):
    """Make an overseas flow active with a transfer record; returns the flow."""
    def make(pair=STORAGE, filed=True, **record):
        flow = Flow.objects.get(activity=pair[0], recipient=pair[1])
        values = contract(**record)
        made = transfers.create_record(actor=system_actor, flow=flow, **values)
        if filed and made.mechanism in rules.FILED:
            transfers.record_filing(actor=system_actor, record=made, reference="SCC-2026-001",
                                    filed_on=timezone.localdate())
        return activate(*pair)
    return make


def people(person_with, n):
    return [person_with(name=f"测试{i}", email=f"p{i}@example.cn") for i in range(n)]


def test_x_7_2_transfer_without_a_record_is_blocked(registry_synced, system_actor):
    """S-4.1.2b: a storage vendor in Singapore cannot be activated, nor its flow, until a
    transfer record with a mechanism exists."""
    flow = Flow.objects.get(activity=STORAGE[0], recipient=STORAGE[1])
    assert flow.cross_border
    problems = services.flow_problems(flow)
    assert any("transfer record" in p for p in problems)
    counterparty = Counterparty.objects.get(recipient=STORAGE[1])
    assert any("transfer record" in p for p in services.activation_problems(counterparty))


def test_x_7_2_a_filed_standard_contract_lets_the_transfer_through(
        overseas, person_with, system_actor):
    flow = overseas()
    person = person_with(name="王小明", email="wang@example.cn")
    provision, token = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert provision.provided == 1 and token
    assert provision.guard_results["transfer_record"] == flow.transfer_record.pk
    assert YearCounter.objects.get(year=guard.this_year(), sensitive=False).people == 1


def test_x_7_2_an_unfiled_standard_contract_blocks(overseas, person_with, system_actor):
    with pytest.raises(services.SharingError) as refused:
        overseas(filed=False)
    assert "not filed" in refused.value.message


def test_x_7_2_an_expired_mechanism_blocks_the_next_transfer(
        overseas, person_with, system_actor):
    flow = overseas(mechanism="security_assessment", reference="CAC-2023-17")
    record = flow.transfer_record
    person = person_with(name="王小明", email="wang@example.cn")
    assert services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])[0].provided
    three_years_ago = timezone.localdate() - datetime.timedelta(days=3 * 366)
    transfers.update_record(actor=system_actor, record=record, effective_on=three_years_ago)
    assert rules.expires_on(flow.transfer_record.__class__.objects.get(pk=record.pk)) < \
        timezone.localdate()
    with pytest.raises(services.SharingError) as refused:
        services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert refused.value.code == "MECHANISM_EXPIRED"


def test_x_7_2_a_changed_contract_must_be_filed_again(overseas, person_with, system_actor):
    flow = overseas()
    transfers.update_record(actor=system_actor, record=flow.transfer_record,
                            recipient_obligations="Also delete within 10 days.")
    person = person_with(name="王小明", email="wang@example.cn")
    with pytest.raises(services.SharingError) as refused:
        services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert refused.value.code == "MECHANISM_UNFILED"


def test_x_7_2_the_100000th_person_of_the_year_is_the_first_held_back(
        overseas, person_with, system_actor):
    """Without a mechanism (below the thresholds), 99,999 people may leave in a year: of a
    batch that crosses, the people up to the threshold go, the rest wait, with an alert."""
    flow = overseas(mechanism="below_threshold", reference="", effective_on=None)
    YearCounter.objects.create(year=guard.this_year(), sensitive=False, people=99_997)
    batch = people(person_with, 4)
    provision, _ = services.provide(actor=system_actor, flow=flow,
                                    subject_ids=[p.pk for p in batch])
    assert provision.provided == 2  # the 99,998th and the 99,999th
    assert provision.dropped == {"transfer_threshold": 2}
    assert set(Disclosure.objects.values_list("subject_id", flat=True)) == \
        {batch[0].pk, batch[1].pk}
    hold = Hold.objects.get()
    assert hold.subject_ids == [str(batch[2].pk), str(batch[3].pk)]
    assert YearCounter.objects.get(year=guard.this_year(), sensitive=False).people == 99_999
    alert = Alert.objects.get(kind="transfers.threshold_reached")
    assert alert.detail["held"] == 2
    # Someone already counted this year goes again without taking a place.
    again, _ = services.provide(actor=system_actor, flow=flow, subject_ids=[batch[0].pk])
    assert again.provided == 1


def test_x_7_2_a_filed_contract_raises_the_limit_and_releases_the_held(
        overseas, person_with, system_actor):
    flow = overseas(mechanism="below_threshold", reference="", effective_on=None)
    YearCounter.objects.create(year=guard.this_year(), sensitive=False, people=99_999)
    held = people(person_with, 2)
    services.provide(actor=system_actor, flow=flow, subject_ids=[p.pk for p in held])
    hold = Hold.objects.get()
    record = transfers.update_record(actor=system_actor, record=flow.transfer_record,
                                     **contract())
    transfers.record_filing(actor=system_actor, record=record, reference="SCC-2026-002",
                            filed_on=timezone.localdate())
    provision, _ = transfers.release(actor=system_actor, hold=hold)
    assert provision.provided == 2
    assert Hold.objects.get(pk=hold.pk).released_at is not None


def test_x_7_2_counts_restart_on_1_january(overseas, person_with, system_actor, monkeypatch):
    flow = overseas(mechanism="below_threshold", reference="", effective_on=None)
    YearCounter.objects.create(year=2026, sensitive=False, people=99_999)
    person = person_with(name="王小明", email="wang@example.cn")
    monkeypatch.setattr(guard, "this_year", lambda: 2026)
    assert services.provide(actor=system_actor, flow=flow,
                            subject_ids=[person.pk])[0].provided == 0
    monkeypatch.setattr(guard, "this_year", lambda: 2027)
    assert services.provide(actor=system_actor, flow=flow,
                            subject_ids=[person.pk])[0].provided == 1
    assert YearCounter.objects.get(year=2027, sensitive=False).people == 1


def test_x_7_2_a_person_sent_both_kinds_counts_in_both_and_once(
        overseas, person_with, system_actor):
    flow = overseas()
    record = flow.transfer_record
    person = person_with(name="王小明", email="wang@example.cn")
    for _ in range(2):
        go, held = guard.count(record, [person.pk], ["user.name", "user.id_info"])
        assert (go, held) == ([person.pk], [])
    year = guard.this_year()
    assert {c.sensitive: c.people for c in YearCounter.objects.filter(year=year)} == \
        {False: 1, True: 1}
    assert CountedPerson.objects.filter(year=year, subject=person).count() == 2


def test_x_7_2_sensitive_pi_needs_a_mechanism_from_the_first_person(
        overseas, person_with, system_actor):
    flow = overseas(mechanism="below_threshold", reference="", effective_on=None)
    person = person_with(name="王小明", email="wang@example.cn")
    go, held = guard.count(flow.transfer_record, [person.pk], ["user.id_info"])
    assert (go, held) == ([], [person.pk])


def test_x_7_2_without_separate_consent_people_are_left_out_of_a_consent_based_batch(
        overseas, person_with, system_actor):
    flow = overseas(OVERSEAS)
    with_consent, without = people(person_with, 2)
    consent.record(actor=system_actor, subject=with_consent, purpose="crossborder.transfer",
                   choice="grant", scope="separate.cross_border",
                   recipient="third_party.overseas", channel=Channel.WEB,
                   notice_text="Provide my name and contact to Example Overseas Ltd. (HK).")
    provision, _ = services.provide(actor=system_actor, flow=flow,
                                    subject_ids=[with_consent.pk, without.pk])
    assert provision.provided == 1
    assert set(Disclosure.objects.values_list("subject_id", flat=True)) == {with_consent.pk}


def test_x_7_2_an_exempt_contract_necessity_batch_needs_no_consent(
        overseas, person_with, system_actor):
    """The contract-necessity exemption waives the mechanism (and the transfer does not rest
    on consent): nobody is left out for want of a separate consent, and the counters still
    count."""
    flow = overseas(mechanism="exempt_contract", reference="", effective_on=None,
                    exemption_reason="Delivery of orders the people placed abroad.")
    YearCounter.objects.create(year=guard.this_year(), sensitive=False, people=5_000_000)
    batch = people(person_with, 2)
    provision, _ = services.provide(actor=system_actor, flow=flow,
                                    subject_ids=[p.pk for p in batch])
    assert provision.provided == 2 and not provision.dropped
    assert YearCounter.objects.get(year=guard.this_year(), sensitive=False).people == 5_000_002


def test_x_7_2_important_data_needs_a_security_assessment(overseas, system_actor):
    with pytest.raises(services.SharingError) as refused:
        overseas(important_data="involved")
    assert "security assessment" in refused.value.message


def test_x_7_2_a_hold_is_released_once(overseas, person_with, system_actor):
    """Two releases of the same hold at once (both loaded before either ran): the second
    provides nobody and is refused."""
    flow = overseas(mechanism="below_threshold", reference="", effective_on=None)
    YearCounter.objects.create(year=guard.this_year(), sensitive=False, people=99_999)
    services.provide(actor=system_actor, flow=flow,
                     subject_ids=[p.pk for p in people(person_with, 2)])
    first, second = Hold.objects.get(), Hold.objects.get()
    record = transfers.update_record(actor=system_actor, record=flow.transfer_record,
                                     **contract())
    transfers.record_filing(actor=system_actor, record=record, reference="SCC-2026-002",
                            filed_on=timezone.localdate())
    assert transfers.release(actor=system_actor, hold=first)[0].provided == 2
    with pytest.raises(transfers.TransferError) as refused:
        transfers.release(actor=system_actor, hold=second)
    assert refused.value.code == "ALREADY_RELEASED"
    assert Disclosure.objects.count() == 2


def test_x_7_2_people_another_guard_leaves_out_are_not_counted(
        overseas, person_with, system_actor, monkeypatch):
    """The counting guard runs last: people a narrowing guard drops take no place."""
    from piwarden.sharing import guards

    class KeepFirst(guards.Guard):
        key = "tests.keep_first"

        def applies(self, flow):
            return flow.cross_border

        def within(self, batch, people, dropped):
            dropped["tests_narrowed"] += len(people) - 1
            return people[:1]

    monkeypatch.setitem(guards._GUARDS, KeepFirst.key, KeepFirst())
    flow = overseas()
    provision, _ = services.provide(actor=system_actor, flow=flow,
                                    subject_ids=[p.pk for p in people(person_with, 3)])
    assert provision.provided == 1 and provision.dropped == {"tests_narrowed": 2}
    assert YearCounter.objects.get(year=guard.this_year(), sensitive=False).people == 1


def test_x_7_2_the_year_is_china_time(monkeypatch):
    """16:30 UTC on 31 December is already 1 January in China: a new year of counting."""
    from django.utils import timezone as django_timezone

    moment = datetime.datetime(2026, 12, 31, 16, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(django_timezone, "now", lambda: moment)
    assert guard.this_year() == 2027
