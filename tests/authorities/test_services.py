"""The workflow: basis picker, document, review, two approvals, Art. 41, delivery through the
gateway with an access-logged encrypted package, the notice afterwards."""

import json

import pytest
from django.db import transaction

from piwarden.audit.models import AuditEvent
from piwarden.authorities import selectors, services
from piwarden.authorities.models import State
from piwarden.notify.models import Delivery
from piwarden.sharing import packages
from piwarden.sharing import services as sharing
from piwarden.sharing.models import Disclosure, ProvisionStatus

from .conftest import PDF, atomic

pytestmark = pytest.mark.django_db


def test_s_4_1_1c_the_basis_picker_offers_only_art_13_3_and_13_4(named_catalog):
    keys = [basis.key for basis in selectors.basis_choices()]
    assert sorted(keys) == ["emergency", "exception.criminal_justice",
                            "exception.national_security", "exception.public_interest",
                            "exception.vital_interests", "legal_obligation"]
    assert not [k for k in keys if "interest" in k and k.startswith(("company", "legitimate"))]


def test_s_4_1_1c_a_company_interest_or_consent_basis_is_refused(flows, enter, person_with):
    for basis in ("company_interest", "consent", "contract", "exception.safe_operation"):
        with pytest.raises(services.AuthorityError) as refused:
            enter([person_with(name="甲")], legal_basis=basis)
        assert refused.value.code == "BASIS_NOT_ALLOWED", basis


def test_s_4_1_1c_an_emergency_basis_without_justification_cannot_be_submitted(
        flows, enter, person_with):
    person = person_with(name="乙")
    with pytest.raises(services.AuthorityError) as refused:
        enter([person], legal_basis="emergency", organ_kind="police")
    assert (refused.value.code, refused.value.field) == ("JUSTIFICATION_REQUIRED",
                                                         "justification")
    request = enter([person], legal_basis="emergency", justification="Missing person at risk.")
    assert request.activity == "sharing.vital_interests" and request.state == State.RECEIVED
    with pytest.raises(services.AuthorityError) as refused:
        enter([person], legal_basis="emergency", justification="x", confidential=True,
              confidentiality_reference="Criminal Procedure Law Art. 54")
    assert refused.value.code == "EMERGENCY_NOT_CONFIDENTIAL"


def test_s_4_1_1b_confidentiality_needs_its_legal_reference(flows, enter, person_with):
    with pytest.raises(services.AuthorityError) as refused:
        enter([person_with(name="丙")], confidential=True)
    assert refused.value.code == "CONFIDENTIALITY_REFERENCE_REQUIRED"


def test_s_4_1_1b_finalizing_without_a_document_is_impossible(flows, enter, team, person_with):
    person = person_with(name="丁")
    request = enter([person])
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.review, actor=team["lawyer"], request=request,
               subject_ids=[str(person.pk)], categories=["user.name"], notes="ok")
    assert refused.value.code == "DOCUMENT_MISSING"
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.approve, actor=team["approver1"], request=request)
    assert refused.value.code == "WRONG_STATE"
    with pytest.raises(services.AuthorityError) as refused:
        services.deliver(actor=team["approver1"], request=request)
    assert refused.value.code == "WRONG_STATE"
    request.refresh_from_db()
    assert request.state == State.RECEIVED and not request.approvals.exists()


def test_s_4_1_1b_an_upload_that_is_not_a_scan_is_refused(flows, enter, team, person_with):
    request = enter([person_with(name="戊")])
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.upload_document, actor=team["clerk"], request=request,
               data=b"<html>order</html>")
    assert refused.value.code == "EVIDENCE_TYPE"


def test_s_4_1_1b_the_document_is_sealed_and_opening_it_is_audited(
        flows, enter, team, person_with):
    request = atomic(services.upload_document, actor=team["clerk"],
                     request=enter([person_with(name="己")]), data=PDF)
    request.refresh_from_db()
    assert PDF not in bytes(request.document) and b"court order" not in bytes(request.document)
    assert request.document_sha256 == __import__("hashlib").sha256(PDF).hexdigest()
    assert bytes(request.document_key) and request.document_key_version
    data, kind = atomic(services.open_document, actor=team["lawyer"], request=request)
    assert (data, kind) == (PDF, "application/pdf")
    opened = AuditEvent.objects.get(action="authorities.document_opened")
    assert opened.actor_id == team["lawyer"].id and "court" not in json.dumps(opened.detail)


def test_s_4_1_1b_only_the_legal_role_reviews_and_only_to_narrow(
        flows, enter, team, person_with):
    asked, other = person_with(name="庚"), person_with(name="辛")
    request = atomic(services.upload_document, actor=team["clerk"], request=enter([asked]),
                     data=PDF)
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.review, actor=team["approver1"], request=request,
               subject_ids=[str(asked.pk)], categories=["user.name"], notes="ok")
    assert (refused.value.code, refused.value.status) == ("LEGAL_ROLE_REQUIRED", 403)
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.review, actor=team["lawyer"], request=request,
               subject_ids=[str(asked.pk), str(other.pk)], categories=["user.name"],
               notes="ok")
    assert refused.value.code == "BEYOND_REQUEST"
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.review, actor=team["lawyer"], request=request,
               subject_ids=[str(asked.pk)], categories=["user.address"], notes="ok")
    assert refused.value.code == "CATEGORY_NOT_ALLOWED"


def test_s_4_1_1b_one_approver_and_the_entering_staff_member_do_not_suffice(
        flows, enter, team, person_with):
    person = person_with(name="壬")
    request = atomic(services.upload_document, actor=team["clerk"], request=enter([person]),
                     data=PDF)
    request = atomic(services.review, actor=team["lawyer"], request=request,
                     subject_ids=[str(person.pk)], categories=["user.name"], notes="ok")
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.approve, actor=team["clerk"], request=request)
    assert refused.value.code == "APPROVER_IS_ENTERER"
    request = atomic(services.approve, actor=team["approver1"], request=request)
    assert request.state == State.REVIEWED
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.approve, actor=team["approver1"], request=request)
    assert refused.value.code == "ALREADY_APPROVED_BY_YOU"
    with pytest.raises(services.AuthorityError) as refused:
        services.deliver(actor=team["approver1"], request=request)
    assert refused.value.code == "WRONG_STATE"
    flow = selectors.flow_for(request)
    with pytest.raises(sharing.SharingError) as refused:
        sharing.provide(actor=team["approver1"], flow=flow, subject_ids=[person.pk],
                        context={"authority_request": request.pk})
    assert refused.value.code == "AUTHORITY_REQUEST_REQUIRED"
    request = atomic(services.approve, actor=team["approver2"], request=request)
    assert request.state == State.APPROVED
    assert AuditEvent.objects.filter(action="authorities.approved").count() == 2


def test_s_4_1_1b_a_foreign_court_order_without_prc_approval_is_refused_with_reasons(
        flows, enter, team, person_with):
    person = person_with(name="癸")
    request = enter([person], organ_name="Superior Court of Example County",
                    organ_country="us", organ_kind="court",
                    legal_basis="legal_obligation")
    assert request.state == State.REFUSED
    assert "Art. 41" in request.refusal_reason and "第四十一条" in request.refusal_reason
    assert AuditEvent.objects.filter(action="authorities.refused", object_id=str(request.pk),
                                     detail__reason="foreign_without_prc_approval").exists()
    with pytest.raises(services.AuthorityError):
        atomic(services.upload_document, actor=team["clerk"], request=request, data=PDF)


def test_s_4_1_1b_a_foreign_order_with_a_prc_approval_reference_proceeds(
        flows, approved, team, person_with):
    person = person_with(name="赵一")
    request = approved([person], organ_name="Tribunal de Paris", organ_country="FR",
                       organ_kind="court", legal_basis="legal_obligation",
                       prc_approval_reference="司法部 2026-国际司法协助-017")
    assert request.state == State.APPROVED
    request, token = services.deliver(actor=team["approver1"], request=request)
    assert request.state == State.DELIVERED and token


def test_s_4_3_2_delivery_is_an_encrypted_access_logged_package_in_the_register(
        flows, approved, team, person_with):
    """Only the reviewed person and category go; the package on disk is ciphertext; each
    download is counted and audited; the register gets the row; one approval delivers once."""
    wanted, spared = person_with(name="钱二", email="qian@example.cn"), person_with(name="孙三")
    request = approved([wanted, spared], review_people=[wanted])
    request, token = services.deliver(actor=team["approver1"], request=request)
    provision = request.provision
    assert (provision.provided, provision.categories) == (1, ["user.name"])
    sealed = (packages.package_dir() / provision.package).read_bytes()
    assert "钱二".encode() not in sealed
    content = json.loads(packages.open_package(provision))
    assert [r["name"] for r in content["records"]] == ["钱二"]
    assert "qian@example.cn" not in json.dumps(content, ensure_ascii=False)
    rows = Disclosure.objects.filter(provision=provision)
    assert [row.subject_id for row in rows] == [wanted.pk]
    assert rows[0].recipient == "authority.competent" and not rows[0].confidential
    assert token not in json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert provision.token_hash == packages.token_hash(token)
    sharing.open_download(token=token, ip_prefix="203.0.113.0")
    provision.refresh_from_db()
    assert (provision.downloads, provision.status) == (1, ProvisionStatus.DELIVERED)
    logged = AuditEvent.objects.get(action="sharing.package_downloaded",
                                    object_id=str(provision.pk))
    assert logged.detail["ip"] == "203.0.113.0"
    delivered = AuditEvent.objects.get(action="authorities.delivered")
    assert delivered.detail["touched"]["count"] == 1
    details = json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)),
                         ensure_ascii=False)
    assert "钱二" not in details and "朝阳" not in details
    with pytest.raises(services.AuthorityError) as again:
        services.deliver(actor=team["approver1"], request=request)
    assert again.value.code == "WRONG_STATE"


def test_s_4_3_2_an_approved_request_never_serves_a_second_provision(
        flows, approved, team, person_with):
    """Through the gateway directly: the guard's lock lets one provision through."""
    person = person_with(name="周四")
    request = approved([person])
    flow = selectors.flow_for(request)
    first, _ = sharing.provide(actor=team["approver1"], flow=flow, subject_ids=[person.pk],
                               categories=["user.name"],
                               context={"authority_request": request.pk})
    assert first.provided == 1
    with pytest.raises(sharing.SharingError) as refused:
        sharing.provide(actor=team["approver1"], flow=flow, subject_ids=[person.pk],
                        categories=["user.name"], context={"authority_request": request.pk})
    assert refused.value.code == "AUTHORITY_REQUEST_REQUIRED"


def test_s_4_1_1b_another_persons_data_is_never_reachable(flows, approved, team, person_with):
    """Asking the gateway for someone the review did not keep, or for a category it did not
    approve, provides nothing of theirs."""
    reviewed, stranger = person_with(name="吴五"), person_with(name="郑六")
    request = approved([reviewed])
    flow = selectors.flow_for(request)
    with pytest.raises(sharing.SharingError) as refused:
        sharing.provide(actor=team["approver1"], flow=flow, subject_ids=[stranger.pk],
                        categories=["user.contact"],
                        context={"authority_request": request.pk})
    assert refused.value.code == "AUTHORITY_CATEGORIES_NOT_REVIEWED"
    provision, _token = sharing.provide(
        actor=team["approver1"], flow=flow, subject_ids=[stranger.pk, reviewed.pk],
        categories=["user.name"], context={"authority_request": request.pk})
    assert provision.provided == 1 and provision.dropped == {"not_in_legal_review": 1}
    assert not Disclosure.objects.filter(subject=stranger).exists()
    assert "郑六" not in packages.open_package(provision).decode()


def test_s_4_1_1b_the_plain_gateway_cannot_provide_on_an_authority_flow(
        flows, team, person_with):
    person = person_with(name="冯七")
    for flow in flows.values():
        with pytest.raises(sharing.SharingError) as refused:
            sharing.provide(actor=team["approver1"], flow=flow, subject_ids=[person.pk])
        assert refused.value.code == "AUTHORITY_REQUEST_REQUIRED"
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.filter(action="sharing.provision_refused",
                                     detail__code="AUTHORITY_REQUEST_REQUIRED").count() == 3


def test_s_4_1_1c_after_an_emergency_the_person_is_told(
        flows, approved, team, person_with, system_actor):
    from django.contrib.auth import get_user_model

    from piwarden.accounts.models import Account
    from piwarden.notify import services as notify

    person = person_with(name="陈八")
    with transaction.atomic():
        Account.objects.create(user=get_user_model().objects.create_user("chen8"),
                               subject=person)
    request = approved([person], legal_basis="emergency", organ_kind="police",
                       justification="The person was reported missing in a flood area.",
                       categories=["user.name", "user.contact"])
    request, _token = services.deliver(actor=team["approver2"], request=request)
    assert request.notice_campaign
    notify.run(campaign_id=request.notice_campaign)
    delivery = Delivery.objects.get(campaign_id=request.notice_campaign)
    assert delivery.subject_id == person.pk and delivery.channel == "site"
    campaign = delivery.campaign
    assert campaign.template == "authorities.provided"
    assert campaign.fields["zh-hans"]["organ"] == "北京市公安局朝阳分局"
    assert "陈八" not in json.dumps(campaign.fields, ensure_ascii=False)


def test_s_4_1_1b_a_confidential_provision_sends_no_notice_and_is_withheld(
        flows, team, person_with):
    from .helpers import approved_request

    person = person_with(name="褚九")
    request = approved_request(people=[person], activity="disclosure.to_authorities",
                               categories=["user.name"], confidential=True)
    request, _ = services.deliver(actor=team["approver1"], request=request)
    assert not request.notice_campaign
    assert Disclosure.objects.get(subject=person).confidential
    assert not AuditEvent.objects.filter(action="notify.campaign_created").exists()


def test_s_4_1_1b_a_refusal_needs_its_reason_and_ends_the_request(
        flows, approved, team, person_with):
    request = approved([person_with(name="卫十")])
    with pytest.raises(services.AuthorityError) as refused:
        atomic(services.refuse, actor=team["lawyer"], request=request, reason=" ")
    assert refused.value.code == "REASON_REQUIRED"
    request = atomic(services.refuse, actor=team["lawyer"], request=request,
                     reason="The order names no legal provision.")
    assert request.state == State.REFUSED
    with pytest.raises(services.AuthorityError):
        services.deliver(actor=team["approver1"], request=request)


def test_s_4_1_1c_a_notice_that_cannot_start_alerts_and_keeps_the_link(
        flows, approved, team, person_with, monkeypatch):
    from piwarden.alerts.models import Alert
    from piwarden.authorities import notices
    from piwarden.errors import ServiceError

    def broken(**kwargs):
        raise ServiceError("TEMPLATE_UNKNOWN", "gone")

    monkeypatch.setattr(notices, "send", broken)
    request = approved([person_with(name="蒋一")])
    request, token = services.deliver(actor=team["approver1"], request=request)
    assert token and request.state == State.DELIVERED and request.provision_id
    alert = Alert.objects.get(kind="authorities.notice_failed")
    assert alert.detail == {"request": request.pk, "code": "TEMPLATE_UNKNOWN"}


def test_s_4_1_1c_a_large_notice_waits_for_a_second_approval(
        settings, flows, approved, team, person_with):
    from piwarden.notify.models import Campaign, CampaignStatus

    settings.PIWARDEN_NOTIFY_APPROVAL_ABOVE = 0
    request = approved([person_with(name="沈二")])
    request, _ = services.deliver(actor=team["approver1"], request=request)
    campaign = Campaign.objects.get(pk=request.notice_campaign)
    assert campaign.status != CampaignStatus.SENDING


def test_s_4_2_2_a_transfer_required_by_a_court_order_runs_the_same_workflow(
        flows, approved, team, person_with):
    """§4.2(2), a transfer required by law or an order: a court's request for the records of
    one person goes through the document, the review, two approvals and the gateway, on the
    legal-requests flow, and lands in the register as provision to an authority."""
    person = person_with(name="周五", email="zhou@example.cn")
    request = approved([person], organ_name="北京市朝阳区人民法院", organ_kind="court",
                       document_reference="(2026) 京0105民初 456 号",
                       legal_basis="legal_obligation")
    assert request.activity == "sharing.legal_requests"
    request, token = services.deliver(actor=team["approver2"], request=request)
    assert token and request.provision.flow.activity == "sharing.legal_requests"
    row = Disclosure.objects.get(subject=person)
    assert (row.recipient, row.activity) == ("authority.competent", "sharing.legal_requests")
