"""Recipients and flows: registry from the catalog, agreements, PIPIAs, activation."""

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from piwarden.catalog.loader import CatalogError, read
from piwarden.sharing import services
from piwarden.sharing.models import (
    Assessment,
    AssessmentKept,
    AssessmentStatus,
    Counterparty,
    Flow,
    Status,
)
from tests.sharing.conftest import NAMED, write_named_catalog

pytestmark = pytest.mark.django_db


def _contracts(actor, counterparty, *, ends_on="default", **overrides):
    today = timezone.localdate()
    services.add_contract(actor=actor, counterparty=counterparty, kind="confidentiality",
                          reference="NDA-1", signed_on=today, starts_on=today)
    terms = {"purpose": "Send codes", "method": "API", "categories": ["user.contact.phone"],
             "protection_measures": "TLS", "return_or_deletion": "Delete at the end",
             **overrides}
    return services.add_contract(
        actor=actor, counterparty=counterparty, kind="entrustment", reference="DPA-1",
        signed_on=today, starts_on=today,
        ends_on=today + timedelta(days=365) if ends_on == "default" else ends_on, **terms)


def test_z_5_registering_a_processor_opens_a_pipia_and_the_flow_stays_pending(
        registry_synced, system_actor):
    """SMS-Co (processor.messaging) receiving phone numbers: an assessment is opened and the
    flow cannot be activated until a privacy officer approves it."""
    flow = Flow.objects.get(activity="account.verification_codes",
                            recipient="processor.messaging")
    assert flow.status == Status.PENDING_ASSESSMENT
    assessment = flow.assessments.get()
    assert assessment.status == AssessmentStatus.OPEN and "processor" in assessment.triggers
    counterparty = Counterparty.objects.get(recipient="processor.messaging")
    _contracts(system_actor, counterparty)
    services.activate_counterparty(actor=system_actor, counterparty=counterparty)
    with pytest.raises(services.SharingError) as refused:
        services.activate_flow(actor=system_actor, flow=flow)
    assert "impact assessment is not approved" in refused.value.message
    services.decide_assessment(actor=system_actor, assessment=assessment, approve=True,
                               risk="low", findings="Codes only, TLS, 1-day retention.")
    assert services.activate_flow(actor=system_actor, flow=flow).status == Status.ACTIVE


def test_z_5_flows_to_authorities_share_one_standing_assessment(registry_synced):
    flows = Flow.objects.filter(recipient="authority.competent")
    assert flows.count() > 1
    standing = Assessment.objects.get(standing=True)
    assert set(standing.flows.all()) == set(flows)


def test_s_4_1_1e_a_processor_contract_without_end_date_cannot_be_activated(
        registry_synced, system_actor):
    counterparty = Counterparty.objects.get(recipient="processor.messaging")
    _contracts(system_actor, counterparty, ends_on=None)
    with pytest.raises(services.SharingError) as refused:
        services.activate_counterparty(actor=system_actor, counterparty=counterparty)
    assert refused.value.code == "CANNOT_ACTIVATE" and "ends_on" in refused.value.message
    counterparty.refresh_from_db()
    assert counterparty.status == Status.DRAFT


def test_s_4_1_1e_each_art_21_term_is_required(registry_synced, system_actor):
    counterparty = Counterparty.objects.get(recipient="processor.messaging")
    _contracts(system_actor, counterparty, return_or_deletion="")
    with pytest.raises(services.SharingError) as refused:
        services.activate_counterparty(actor=system_actor, counterparty=counterparty)
    assert "return_or_deletion" in refused.value.message


def test_v_5_1b_no_confidentiality_agreement_no_activation(registry_synced, system_actor):
    counterparty = Counterparty.objects.get(recipient="affiliate.intron_group")
    with pytest.raises(services.SharingError) as refused:
        services.activate_counterparty(actor=system_actor, counterparty=counterparty)
    assert "confidentiality agreement" in refused.value.message


def test_s_4_1_2b_a_non_cn_recipient_is_held_for_the_cross_border_controls(
        registry_synced, system_actor):
    """A storage vendor in Singapore: its flows are marked cross-border and it cannot be
    activated here (the transfer mechanism comes first)."""
    flow = Flow.objects.get(activity="sharing.processors", recipient="processor.data_storage")
    assert flow.cross_border and flow.status == Status.PENDING_ASSESSMENT
    assert "cross_border" in flow.assessments.get().triggers
    counterparty = Counterparty.objects.get(recipient="processor.data_storage")
    _contracts(system_actor, counterparty)
    with pytest.raises(services.SharingError) as refused:
        services.activate_counterparty(actor=system_actor, counterparty=counterparty)
    assert "outside mainland China" in refused.value.message
    assessment = flow.assessments.get()
    services.decide_assessment(actor=system_actor, assessment=assessment, approve=True,
                               risk="medium", findings="Needs a transfer mechanism.")
    with pytest.raises(services.SharingError):
        services.activate_flow(actor=system_actor, flow=flow)


def test_z_3_an_assessment_under_three_years_old_cannot_be_deleted(registry_synced):
    assessment = Assessment.objects.filter(standing=False).first()
    with pytest.raises(AssessmentKept):
        assessment.delete()
    assessment.opened_at = timezone.now() - timedelta(days=3 * 366 + 1)
    assessment.save()
    assessment.delete()


def test_s_4_4_exception_8_alone_is_refused_as_a_flow_basis(registry_synced, system_actor):
    flow = Flow.objects.get(activity="sharing.processors", recipient="partner.business")
    with pytest.raises(services.SharingError) as refused:
        services.configure_flow(actor=system_actor, flow=flow,
                                legal_basis="exception.safe_operation")
    assert refused.value.code in {"BASIS_NOT_PIPL", "BASIS_NOT_DECLARED"}


def test_s_4_1_1d_the_allowlist_can_only_narrow(registry_synced, system_actor):
    flow = Flow.objects.get(activity="sharing.affiliates", recipient="affiliate.intron_group")
    with pytest.raises(services.SharingError) as refused:
        services.configure_flow(actor=system_actor, flow=flow, categories=["user.id_info"])
    assert refused.value.code == "CATEGORY_NOT_ALLOWED"
    narrowed = services.configure_flow(actor=system_actor, flow=flow, categories=["user.name"])
    assert narrowed.categories == ["user.name"]


def test_sync_keeps_state_and_suspends_flows_no_longer_declared(registry_synced,
                                                                 system_actor):
    flow = Flow.objects.get(activity="sharing.affiliates", recipient="affiliate.intron_group")
    services.configure_flow(actor=system_actor, flow=flow, categories=["user.name"])
    again = services.sync(actor=system_actor)
    assert again.flows == 0
    flow.refresh_from_db()
    assert flow.categories == ["user.name"]
    Flow.objects.create(activity="gone.activity", recipient="affiliate.intron_group",
                        legal_basis="consent", status=Status.ACTIVE)
    services.sync(actor=system_actor)
    assert Flow.objects.get(activity="gone.activity").status == Status.SUSPENDED


def _problems(tmp_path, named):
    path = write_named_catalog(tmp_path / "bad.yaml", named)
    with pytest.raises(CatalogError) as caught:
        read(path)
    return [str(p) for p in caught.value.problems]


def test_d_1_5_a_recipient_without_a_role_is_refused(tmp_path):
    path = write_named_catalog(tmp_path / "named.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["recipients"][0]["role"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        read(path)
    assert any("role" in str(p) for p in caught.value.problems)


def test_s_4_1_1e_a_prc_company_needs_a_valid_uscc(tmp_path):
    bad = {**NAMED, "processor.messaging": {**NAMED["processor.messaging"],
                                            "uscc": "91310000MA1FL0000A"}}
    assert any("not a valid Unified Social Credit Code" in p for p in _problems(tmp_path, bad))
    missing = {**NAMED, "processor.messaging": {**NAMED["processor.messaging"], "uscc": None}}
    assert any("no Unified Social Credit Code" in p for p in _problems(tmp_path, missing))


def test_z_5_a_catalog_change_that_needs_a_new_assessment_holds_the_active_flow(
        activate, system_actor, tmp_path):
    """The affiliate becomes a processor in the catalog: the flow it had stops until a new
    impact assessment is approved."""
    from piwarden.catalog.services import load_catalog

    flow = activate("sharing.affiliates", "affiliate.intron_group")
    changed = {**NAMED, "affiliate.intron_group": {**NAMED["affiliate.intron_group"],
                                                   "role": "processor"}}
    load_catalog(actor=system_actor, path=write_named_catalog(tmp_path / "c.yaml", changed))
    flow.refresh_from_db()
    assert flow.status == Status.PENDING_ASSESSMENT
    assert flow.assessments.filter(status=AssessmentStatus.OPEN).get().triggers == [
        "processor"]
    again = services.sync(actor=system_actor)
    assert again.changed == 0
