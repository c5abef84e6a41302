"""The provision gateway: basis per person, allowlist, ledger and audit, packages."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from piwarden.audit.models import AuditEvent, Outcome
from piwarden.consent import services as consent
from piwarden.consent.models import Channel
from piwarden.sharing import packages, services
from piwarden.sharing.models import Disclosure, Flow, Provision, ProvisionStatus
from piwarden.sharing.services.gateway import subjects_digest

pytestmark = pytest.mark.django_db

AFFILIATES = ("sharing.affiliates", "affiliate.intron_group")
PROCESSORS = ("sharing.processors", "partner.business")


def grant_recipient(system_actor, subject, purpose, recipient, choice="grant"):
    return consent.record(actor=system_actor, subject=subject, purpose=purpose, choice=choice,
                          scope="separate.third_party", recipient=recipient,
                          notice_text=f"Provide my name and contact to {recipient}.",
                          channel=Channel.WEB)


def package_of(provision):
    return json.loads(packages.open_package(provision))


def test_s_4_1_1a_provision_without_separate_consent_is_refused_and_logged(
        activate, person_with, system_actor):
    """An affiliate acting as a handler gets a person's data only with a separate consent
    naming that affiliate: without one, the person is left out and the refusal is audited."""
    flow = activate(*AFFILIATES)
    without = person_with(name="王小明", email="wang@example.cn")
    provision, token = services.provide(actor=system_actor, flow=flow, subject_ids=[without.pk])
    assert (provision.provided, provision.status, token) == (0, ProvisionStatus.REFUSED, "")
    assert provision.dropped == {"separate_consent_missing": 1}
    assert not Disclosure.objects.exists()
    record = AuditEvent.objects.filter(action="sharing.provided").last()
    assert record.outcome == Outcome.DENIED
    assert record.detail["dropped"] == {"separate_consent_missing": 1}


def test_s_4_1_1a_consent_for_another_recipient_does_not_count(
        activate, person_with, system_actor):
    """A grant for one recipient (or one not about any recipient) never covers another."""
    flow = activate(*AFFILIATES)
    person = person_with(name="李雷", email="li@example.cn")
    grant_recipient(system_actor, person, "sharing.consent", "third_party.consented")
    provision, _ = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert provision.provided == 0
    grant_recipient(system_actor, person, "sharing.affiliates", "affiliate.intron_group")
    provision, token = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert provision.provided == 1 and token


def test_s_4_1_1a_withdrawn_recipient_consent_stops_the_next_provision(
        activate, person_with, system_actor):
    flow = activate(*AFFILIATES)
    person = person_with(name="韩梅梅")
    grant_recipient(system_actor, person, "sharing.affiliates", "affiliate.intron_group")
    grant_recipient(system_actor, person, "sharing.affiliates", "affiliate.intron_group",
                    choice="withdraw")
    provision, _ = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert provision.dropped == {"consent_withdrawn": 1}


def test_z_2_one_ledger_row_per_person_and_one_audit_record_per_batch(
        activate, person_with, system_actor):
    """Each provided person gets a register row; the batch gets one audit record whose digest
    names exactly the people provided."""
    flow = activate(*PROCESSORS)
    people = [person_with(name=f"用户{i}", email=f"u{i}@example.cn") for i in range(3)]
    before = AuditEvent.objects.filter(action="sharing.provided").count()
    provision, _token = services.provide(actor=system_actor, flow=flow,
                                        subject_ids=[p.pk for p in people])
    rows = Disclosure.objects.filter(provision=provision)
    assert {row.subject_id for row in rows} == {p.pk for p in people}
    assert {row.recipient for row in rows} == {"partner.business"}
    assert AuditEvent.objects.filter(action="sharing.provided").count() == before + 1
    record = AuditEvent.objects.filter(action="sharing.provided").last()
    assert record.detail["subjects_digest"] == subjects_digest([p.pk for p in people])
    assert record.object_id == str(provision.pk)
    content = package_of(provision)
    assert {r["reference"] for r in content["records"]} == {row.reference for row in rows}
    assert {r["name"] for r in content["records"]} == {"用户0", "用户1", "用户2"}


def test_s_4_1_1d_a_field_outside_the_allowlist_never_reaches_the_package(
        activate, person_with, system_actor):
    """Narrowing the allowlist strips the payload, whatever the caller asks for."""
    flow = activate(*PROCESSORS, categories=["user.name"])
    person = person_with(name="赵六", email="zhao@example.cn", phone="13912345678",
                         address=json.dumps({"province": "北京市", "city": "北京市",
                                             "district": "朝阳区", "street": "某路1号"}))
    provision, _ = services.provide(
        actor=system_actor, flow=flow, subject_ids=[person.pk],
        categories=["user.name", "user.contact.email", "user.address"])
    assert provision.categories == ["user.name"]
    assert provision.stripped == ["user.address", "user.contact.email"]
    raw = packages.open_package(provision).decode()
    assert "zhao@example.cn" not in raw and "13912345678" not in raw and "朝阳" not in raw
    assert package_of(provision)["records"][0]["name"] == "赵六"


def test_s_4_1_2a_hashed_emails_for_an_ad_partner_are_refused(
        activate, person_with, system_actor):
    """SHA-256 e-mail hashes are personal information, not anonymous data: the advertising
    partner's flow carries statistics only, so the provision is refused and audited."""
    flow = activate("statistics.third_party", "partner.advertising")
    person = person_with(email="ad@example.cn")
    with pytest.raises(services.SharingError) as refused:
        services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk],
                         categories=["user.contact.email"],
                         transforms={"user.contact.email": "sha256"})
    assert refused.value.code == "HASHED_IDENTIFIER_IS_PI"
    record = AuditEvent.objects.filter(action="sharing.provision_refused").last()
    assert record.outcome == Outcome.DENIED and record.detail["code"] == "HASHED_IDENTIFIER_IS_PI"
    assert not Provision.objects.exists()


def test_hashed_values_leave_only_where_the_data_itself_may(
        activate, person_with, system_actor):
    """Hashing is a transform of allowed data, applied in the package."""
    flow = activate(*PROCESSORS)
    person = person_with(email="Hash@Example.cn")
    provision, _ = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk],
                                    categories=["user.contact.email"],
                                    transforms={"user.contact.email": "sha256"})
    record = package_of(provision)["records"][0]
    assert len(record["email"]) == 64 and "Example" not in json.dumps(record)


def test_z_2_an_inactive_flow_provides_nothing(registry_synced, person_with, system_actor):
    flow = Flow.objects.get(activity=PROCESSORS[0], recipient=PROCESSORS[1])
    person = person_with(name="钱七")
    with pytest.raises(services.SharingError) as refused:
        services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert refused.value.code == "FLOW_INACTIVE"
    assert AuditEvent.objects.filter(action="sharing.provision_refused").exists()


def test_s_4_1_1e_processor_after_contract_end_provides_nothing(
        activate, person_with, system_actor, monkeypatch):
    flow = activate(*PROCESSORS, ends_on=timezone.localdate() + timedelta(days=1))
    person = person_with(name="孙八")
    later = timezone.localdate() + timedelta(days=2)
    monkeypatch.setattr(timezone, "localdate", lambda *a: later)
    with pytest.raises(services.SharingError) as refused:
        services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert refused.value.code == "CONTRACT_ENDED"


def test_s_4_3_2_package_link_is_audited_counted_and_expires(
        activate, person_with, system_actor, settings):
    settings.PIWARDEN_SHARING_MAX_DOWNLOADS = 2
    flow = activate(*PROCESSORS)
    person = person_with(name="周九")
    _provision, token = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    for _ in range(2):
        _, content = services.open_download(token=token, ip_prefix="127.0.0.0/24")
        assert json.loads(content)["records"][0]["name"] == "周九"
    assert AuditEvent.objects.filter(action="sharing.package_downloaded").count() == 2
    with pytest.raises(services.SharingError) as used_up:
        services.open_download(token=token)
    assert used_up.value.status == 410
    with pytest.raises(services.SharingError) as unknown:
        services.open_download(token="not-a-token")
    assert unknown.value.status == 404


def test_expired_packages_are_deleted(activate, person_with, system_actor):
    flow = activate(*PROCESSORS)
    provision, _ = services.provide(actor=system_actor, flow=flow,
                                    subject_ids=[person_with(name="吴十").pk])
    with transaction.atomic():
        assert services.expire_packages(actor=system_actor,
                                        now=timezone.now() + timedelta(days=4)) == 1
    provision.refresh_from_db()
    assert provision.status == ProvisionStatus.EXPIRED
    with pytest.raises(FileNotFoundError):
        packages.open_package(provision)


def test_erased_people_are_left_out(activate, person_with, system_actor):
    from piwarden.subjects.models import SubjectStatus
    from piwarden.subjects.services import change_status

    flow = activate(*PROCESSORS)
    person = person_with(name="郑十一")
    with transaction.atomic():
        change_status(actor=system_actor, subject=person, status=SubjectStatus.ERASED,
                      reason="test")
    provision, _ = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert provision.dropped == {"subject_erased": 1}


def test_r_6_1_the_access_export_lists_every_provision(activate, person_with, system_actor):
    """The export's register section names each recipient with its purpose and date; a
    provision the law keeps confidential is withheld and counted, never shown."""
    from piwarden.subjectdata.services import collect
    from tests.authorities.helpers import approved_request

    person = person_with(name="林一", email="lin@example.cn")
    services.provide(actor=system_actor, flow=activate(*PROCESSORS), subject_ids=[person.pk])
    grant_recipient(system_actor, person, "sharing.affiliates", "affiliate.intron_group")
    services.provide(actor=system_actor, flow=activate(*AFFILIATES), subject_ids=[person.pk])
    authority = activate("disclosure.to_authorities", "authority.competent")
    request = approved_request(people=[person], activity="disclosure.to_authorities",
                               categories=["user.name"], confidential=True)
    services.provide(actor=system_actor, flow=authority, subject_ids=[person.pk],
                     categories=["user.name"], confidential=True,
                     context={"authority_request": request.pk})
    tables = collect(person)["sharing.disclosures"]
    assert [row["recipient"] for row in tables["recipients"]] == [
        "Example Service Partner Co., Ltd.", "Intron Digital (Shenzhen) Co., Ltd."]
    assert {row["purpose_zh"] for row in tables["recipients"]} == {"委托合作伙伴和服务提供商处理",
                                                                   "与关联方共享"}
    assert tables["recipients"][0]["provided_at"].endswith("+08:00")
    assert tables["withheld"] == [{"provisions_withheld_by_law": 1}]
    assert "authority" not in json.dumps(tables["recipients"])


def test_s_4_1_1a_a_withdrawal_revokes_the_package_not_yet_fetched(
        activate, person_with, system_actor):
    """The link of a package made before the person withdrew no longer serves their data."""
    flow = activate(*AFFILIATES)
    person = person_with(name="何三")
    grant_recipient(system_actor, person, "sharing.affiliates", "affiliate.intron_group")
    provision, token = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    grant_recipient(system_actor, person, "sharing.affiliates", "affiliate.intron_group",
                    choice="withdraw")
    with pytest.raises(services.SharingError) as gone:
        services.open_download(token=token)
    assert gone.value.status == 410
    provision.refresh_from_db()
    assert provision.status == ProvisionStatus.EXPIRED
    assert AuditEvent.objects.filter(action="sharing.package_revoked").exists()


def test_z_2_a_suspended_flow_serves_no_link(activate, person_with, system_actor):
    flow = activate(*PROCESSORS)
    _, token = services.provide(actor=system_actor, flow=flow,
                                subject_ids=[person_with(name="吕四").pk])
    services.suspend_flow(actor=system_actor, flow=flow, reason="Audit finding")
    with pytest.raises(services.SharingError) as gone:
        services.open_download(token=token)
    assert gone.value.status == 410


def test_s_4_1_1d_widening_an_active_flow_needs_activation_and_new_consents(
        activate, person_with, system_actor):
    """More categories than the person consented to: the flow stops until it is activated
    again, and the earlier consent no longer counts."""
    flow = activate(*AFFILIATES, categories=["user.name"])
    person = person_with(name="施五", email="shi@example.cn")
    grant_recipient(system_actor, person, "sharing.affiliates", "affiliate.intron_group")
    flow = services.configure_flow(actor=system_actor, flow=flow,
                                   categories=["user.name", "user.contact"])
    assert flow.status != "active" and flow.terms_changed_at
    flow = activate(*AFFILIATES)
    provision, _ = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert provision.dropped == {"consent_outdated": 1}
    grant_recipient(system_actor, person, "sharing.affiliates", "affiliate.intron_group")
    provision, _ = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert provision.provided == 1


def test_s_4_4_exception_8_cannot_stand_in_for_consent(system_actor, person_with):
    from piwarden.consent.services import ConsentError, check_exception

    with pytest.raises(ConsentError) as refused:
        check_exception(purpose="sharing.affiliates", legal_basis="exception.safe_operation",
                        reason="stability", expires_at=timezone.now() + timedelta(days=1))
    assert refused.value.code == "BASIS_NOT_PIPL"


def test_a_provision_refuses_to_run_inside_a_caller_transaction(
        activate, person_with, system_actor):
    """Its refusals must be recorded whatever the caller does next."""
    flow = activate(*PROCESSORS)
    person = person_with(name="孔六")
    with transaction.atomic(), pytest.raises(services.SharingError) as refused:
        services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert refused.value.code == "PROVIDE_IN_TRANSACTION"
