"""The only writers of the sharing app: the registry's life cycle and the provision gateway."""

from piwarden.sharing.services.gateway import (
    check_flow,
    expire_packages,
    open_download,
    provide,
    pseudonym,
    record_aggregate_provision,
    revoke_packages,
    subjects_digest,
)
from piwarden.sharing.services.lifecycle import (
    CONSENT_BASES,
    HANDLER_ROLES,
    SharingError,
    activate_counterparty,
    activate_flow,
    activation_problems,
    add_contract,
    add_subprocessor,
    allowlist,
    attestation_overdue,
    catalog_recipient,
    change_counterparty_status,
    configure_flow,
    contracts_in_force,
    decide_assessment,
    flow_problems,
    missing_art21_terms,
    record_attestation,
    set_deletion_endpoint,
    suspend_flow,
    sync,
    triggers,
)

__all__ = [
    "CONSENT_BASES", "HANDLER_ROLES", "SharingError", "activate_counterparty", "activate_flow",
    "activation_problems", "add_contract", "add_subprocessor", "allowlist",
    "attestation_overdue", "catalog_recipient", "change_counterparty_status", "check_flow",
    "configure_flow", "contracts_in_force", "decide_assessment", "expire_packages",
    "flow_problems", "missing_art21_terms", "open_download", "provide", "pseudonym",
    "record_aggregate_provision", "record_attestation", "revoke_packages",
    "set_deletion_endpoint",
    "subjects_digest", "suspend_flow",
    "sync", "triggers",
]
