"""The Art. 22 steps: notices before export, the guard on the gateway, the policy binding,
re-consent on a change of processing, the masked data room."""

import json

import pytest
from django.db import transaction

from piwarden.audit.models import AuditEvent, AuditSubject, Outcome
from piwarden.notify.models import Campaign, CampaignStatus, Delivery
from piwarden.sharing import packages
from piwarden.sharing import services as sharing
from piwarden.sharing.models import Provision, ProvisionStatus
from piwarden.transactions import dataroom, selectors, services
from piwarden.transactions.models import Status

pytestmark = pytest.mark.django_db


def refused(code, fn, **kwargs):
    with pytest.raises(sharing.SharingError) as caught:
        fn(**kwargs)
    assert caught.value.code == code
    return caught.value


def test_s_4_2_3_export_before_the_notices_are_complete_is_blocked(
        make_transaction, make_person, staff_actors, undertaken):
    people = [make_person() for _ in range(2)]
    tx = undertaken(make_transaction(people))
    refused("TRANSACTION_NOTICES_INCOMPLETE", services.export, actor=staff_actors[0],
            transaction=tx)
    assert not Provision.objects.filter(status=ProvisionStatus.READY).exists()
    record = AuditEvent.objects.filter(action="sharing.provision_refused").last()
    assert record.outcome == Outcome.DENIED
    assert record.detail["code"] == "TRANSACTION_NOTICES_INCOMPLETE"


def test_s_4_2_3_the_plain_sharing_gateway_is_blocked_too(
        acquirer_flow, make_transaction, make_person, system_actor):
    """Without a transaction, or naming one whose notices are not done, nothing goes out."""
    person = make_person()
    tx = make_transaction([person])
    refused("TRANSACTION_REQUIRED", sharing.provide, actor=system_actor, flow=acquirer_flow,
            subject_ids=[person.pk])
    refused("TRANSACTION_NOTICES_INCOMPLETE", sharing.provide, actor=system_actor,
            flow=acquirer_flow, subject_ids=[person.pk], context={"transaction": tx.pk})


def test_s_4_2_3_after_the_campaign_sent_to_everyone_the_export_passes(
        make_transaction, make_person, staff_actors, notify_all, undertaken, smtp):
    people = [make_person() for _ in range(3)]
    tx = undertaken(notify_all(make_transaction(people)))
    campaign = Campaign.objects.get(pk=tx.campaign_id)
    assert campaign.status == CampaignStatus.SENT
    assert Delivery.objects.filter(campaign=campaign).count() == 3
    body = smtp.received[0]["message"].get_body().get_content()
    assert "Example Acquirer (Shanghai) Co., Ltd." in body
    assert "privacy@acquirer.example.cn" in body
    provision, token = services.export(actor=staff_actors[0], transaction=tx)
    assert provision.provided == 3 and token
    tx.refresh_from_db()
    assert tx.status == Status.EXPORTED and tx.provision_id == str(provision.pk)
    content = json.loads(packages.open_package(provision))
    assert {"email", "phone"} <= set(content["fields"])
    assert AuditEvent.objects.filter(action="transactions.exported").exists()


def test_s_4_2_3_only_people_the_notices_reached_are_exported(
        make_transaction, make_person, staff_actors, notify_all, undertaken, system_actor):
    """Someone affected but unreachable (no channel) is left out, and so is anyone not
    affected, even when the caller names them."""
    reached, unreachable = make_person(), make_person(email=False, phone=False, account=False)
    stranger = make_person()
    tx = undertaken(notify_all(make_transaction([reached, unreachable]),
                               channels=("email", "sms")))
    tx = services.refresh(actor=system_actor, transaction=tx)
    assert tx.status == Status.NOTICES_COMPLETE
    provision, _ = sharing.provide(actor=system_actor, flow=selectors.flow(),
                                   subject_ids=[reached.pk, unreachable.pk, stranger.pk],
                                   context={"transaction": tx.pk})
    assert provision.provided == 1
    assert provision.dropped == {"not_notified": 2}


def test_s_4_2_3_without_the_undertaking_the_export_is_blocked(
        make_transaction, make_person, staff_actors, notify_all):
    tx = notify_all(make_transaction([make_person()]))
    refused("TRANSACTION_NOTICES_INCOMPLETE", services.export, actor=staff_actors[0],
            transaction=tx)


def test_s_4_2_3_the_recipient_is_bound_to_the_current_policy_version(
        make_transaction, make_person, policy_version, notify_all):
    tx = notify_all(make_transaction([make_person()]))
    assert tx.policy_version == policy_version
    assert tx.policy_version_label == policy_version.version
    fields = Campaign.objects.get(pk=tx.campaign_id).fields
    assert fields["en"]["policy_version"] == policy_version.version
    created = AuditEvent.objects.filter(action="transactions.created").last()
    assert created.detail["policy_version"] == policy_version.version


def test_s_4_2_3_no_transaction_without_a_policy_version_in_force(
        acquirer_flow, staff_actors):
    from piwarden.policy.models import PolicyVersion

    PolicyVersion.objects.update(status="draft")
    with pytest.raises(services.TransactionError) as caught, transaction.atomic():
        services.create_transaction(actor=staff_actors[0], title="t", kind="merger",
                                    parties="A; B", categories=["user.name"])
    assert caught.value.code == "POLICY_MISSING"


def test_s_4_2_3_a_purpose_change_blocks_the_export(
        make_transaction, make_person, staff_actors, notify_all, undertaken):
    tx = undertaken(notify_all(make_transaction([make_person()])))
    with transaction.atomic():
        services.record_processing_change(actor=staff_actors[0], transaction=tx,
                                          change="Use purchase history for advertising")
    refused("RECONSENT_REQUIRED", services.export, actor=staff_actors[0], transaction=tx)


def test_s_4_2_3_the_data_room_holds_masked_values_only(
        make_transaction, make_person, staff_actors):
    people = [make_person() for _ in range(3)]
    tx = make_transaction(people)
    with transaction.atomic():
        rows = services.data_room_sample(actor=staff_actors[0], transaction=tx, size=2)
    assert [row["row"] for row in rows] == [1, 2]
    text = dataroom.as_csv(rows)
    for person in people:
        assert person.test_email not in text and person.test_phone not in text
        assert str(person.pk) not in text
    assert all("*" in row["email"] and "*" in row["phone"] for row in rows)
    record = AuditEvent.objects.filter(action="transactions.data_room_sampled").last()
    assert AuditSubject.objects.filter(event=record).count() == 2


def test_s_4_2_3_categories_outside_the_flow_are_refused(make_transaction):
    with pytest.raises(services.TransactionError) as caught:
        make_transaction(categories=["user.id_info"])
    assert caught.value.code == "CATEGORIES_OUTSIDE_FLOW"


def test_s_4_2_3_an_exported_transaction_exports_nothing_more(
        make_transaction, make_person, staff_actors, notify_all, undertaken, system_actor):
    person = make_person()
    tx = undertaken(notify_all(make_transaction([person])))
    provision, _ = sharing.provide(actor=system_actor, flow=selectors.flow(),
                                   subject_ids=[person.pk], context={"transaction": tx.pk})
    assert provision.provided == 1
    tx.refresh_from_db()
    assert tx.status == Status.EXPORTED
    refused("TRANSACTION_CLOSED", services.export, actor=staff_actors[0], transaction=tx)


def test_s_4_2_3_all_accounts_is_every_active_account_holder(make_transaction, make_person):
    from piwarden.notify import audiences

    with_account, without = make_person(), make_person(account=False)
    tx = make_transaction()
    found = set(audiences.resolve("transactions.affected", {"transaction": tx.pk}))
    assert with_account.pk in found and without.pk not in found


def test_s_4_2_3_the_person_sees_the_transactions_listing_them(make_transaction, make_person,
                                                               system_actor):
    from piwarden.transactions import subject_data

    listed, other = make_person(), make_person()
    tx = make_transaction([listed])
    rows = subject_data.export(listed)["corporate_transactions"]
    assert [(r["transaction"], r["new_holder"]) for r in rows] == [
        (tx.pk, "Example Acquirer (Shanghai) Co., Ltd.")]
    assert subject_data.export(other) == {"corporate_transactions": []}
    with transaction.atomic():
        kept = subject_data.erase(actor=system_actor, subject=listed, categories=None)
    assert kept.kept and kept.kept[0].legal_basis == "legal_obligation"


def test_s_4_2_3_this_guard_does_not_stand_in_for_the_cross_border_controls(
        acquirer_flow, monkeypatch):
    """A foreign new holder: alone, this guard reports the cross-border controls missing
    (the gateway then refuses), so the flow is not taken as governed."""
    from piwarden.sharing import guards

    mine = guards._GUARDS["transactions.art22"]
    monkeypatch.setattr(guards, "_GUARDS", {mine.key: mine})
    acquirer_flow.cross_border = True
    assert [p.code for p in guards.problems(acquirer_flow)] == [
        "CROSS_BORDER_CONTROLS_MISSING"]
    acquirer_flow.cross_border = False
    assert guards.problems(acquirer_flow) == []


def test_s_4_2_3_a_cancelled_campaign_is_replaced_and_never_counts(
        make_transaction, make_person, staff_actors, undertaken):
    from piwarden.notify import services as notify

    tx = undertaken(make_transaction([make_person()]))
    with transaction.atomic():
        first = services.draft_notices(actor=staff_actors[0], transaction=tx,
                                       event={"zh-hans": "合并。", "en": "A merger."})
        with pytest.raises(services.TransactionError) as caught:
            services.draft_notices(actor=staff_actors[0], transaction=tx,
                                   event={"zh-hans": "合并。", "en": "A merger."})
        assert caught.value.code == "NOTICES_DRAFTED"
        notify.cancel(actor=staff_actors[0], campaign=first)
        second = services.draft_notices(actor=staff_actors[0], transaction=tx,
                                        event={"zh-hans": "合并。", "en": "A merger."})
    assert second.pk != first.pk
    refused("TRANSACTION_NOTICES_INCOMPLETE", services.export, actor=staff_actors[0],
            transaction=tx)


def test_s_4_2_3_a_large_notice_needs_a_second_staff_member(
        make_transaction, make_person, staff_actors, settings):
    from piwarden.notify.services import NotifyError

    settings.PIWARDEN_NOTIFY_APPROVAL_ABOVE = 1
    tx = make_transaction([make_person(), make_person()])
    creator, other = staff_actors
    with transaction.atomic():
        services.draft_notices(actor=creator, transaction=tx,
                               event={"zh-hans": "合并。", "en": "A merger."})
        assert services.preview_notices(actor=creator, transaction=tx).count == 2
    for actor, code in ((creator, "APPROVER_IS_CREATOR"), (None, "APPROVAL_REQUIRED")):
        with pytest.raises(NotifyError) as caught, transaction.atomic():
            if actor is None:
                services.start_notices(actor=creator, transaction=tx)
            else:
                services.approve_notices(actor=actor, transaction=tx)
        assert caught.value.code == code
    with transaction.atomic():
        services.approve_notices(actor=other, transaction=tx)
        services.start_notices(actor=creator, transaction=tx)
    tx.refresh_from_db()
    assert tx.status == Status.NOTIFYING
    assert AuditEvent.objects.filter(action="transactions.notices_approved").exists()
