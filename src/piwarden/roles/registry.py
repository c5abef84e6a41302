"""The role registry: what each staff role may do, as data in one place.

A role is a set of catalog purposes (what it may process PI for) and Django permissions (what
it may do in the console and the API). Django groups named ``role:<key>`` store who holds a
role; ``piwarden roles sync`` makes the groups' permissions match this table. Approvals check
roles from here (a PIPIA is decided by a privacy officer), never a permission alone.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    key: str
    name_en: str
    name_zh: str
    purposes: tuple[str, ...]
    permissions: tuple[str, ...]
    unmasks: bool = False  # reads full PI values in the console: needs a second factor
    # Reaches PI (purposes, unmasking, or views of records that name people, such as the
    # audit trail): a grant needs a signed confidentiality agreement and training first.
    reaches_pi: bool = True

    @property
    def group_name(self) -> str:
        return f"role:{self.key}"


PRIVACY_OFFICER = "privacy_officer"
SECURITY_OFFICER = "security_officer"
LEGAL = "legal"

_SHARING_VIEW = ("sharing.view_counterparty", "sharing.view_flow", "sharing.view_contract",
                 "sharing.view_assessment", "sharing.view_attestation",
                 "sharing.view_subprocessor", "sharing.view_provision",
                 "sharing.view_disclosure", "sharing.view_deletionrequest")

_INCIDENTS_VIEW = ("incidents.view_incident", "incidents.view_incidentevent",
                   "incidents.view_affectedperson", "incidents.view_progressupdate",
                   "incidents.view_regulatorsubmission", "incidents.view_playbook",
                   "incidents.view_drill", "incidents.export_incident")
_INCIDENTS_HANDLE = ("incidents.add_incident", "incidents.change_incident",
                     "incidents.add_progressupdate", "incidents.add_regulatorsubmission")

_PUBLICATION_VIEW = ("publication.view_publisheditem",)
_AUTHORITIES_VIEW = ("authorities.view_authorityrequest", "authorities.view_approval")
_TRANSACTIONS_VIEW = ("transactions.view_corporatetransaction",)
_TRANSFERS_VIEW = ("transfers.view_transferrecord", "transfers.view_yearcounter",
                   "transfers.view_hold")
_TRANSFERS_MANAGE = ("transfers.add_transferrecord", "transfers.change_transferrecord")
_ROLES_MANAGE = ("roles.view_staffmember", "roles.view_grant", "roles.change_grant",
                 "roles.view_accessreview", "roles.view_accessreviewline",
                 "roles.change_accessreviewline")

_EXPORTS = ("exports.view_fileexport",)
# PI found where nobody declared it: the reports, and the findings' status and owner.
_DISCOVERY = ("discovery.view_report", "discovery.view_finding", "discovery.change_finding")
_VAULT_REVEAL = ("vault.view_vaultvalue", "vault.reveal_vaultvalue")
_PAYMENTS_VIEW = ("payments.view_paymentprofile", "payments.view_order",
                  "payments.view_transaction", "payments.view_creditbalance")
_CONSENT_VIEW = ("consent.view_consentevent", "consent.view_consentstate",
                 "consent.view_schedulederasure", "consent.view_basisexception",
                 "consent.view_evidence")

# Purposes are catalog purpose keys (tests/roles check them against the loaded catalog): a
# console page that shows PI is opened only for a purpose the staff member's roles hold.
ROLES = {role.key: role for role in (
    Role("support", "Customer support", "客户支持",
         ("rights.requests", "account.registration", "account.profile_edit",
          "account.cancellation", "service.provision", "payment.invoicing"),
         ("rights.view_rightsrequest", "rights.change_rightsrequest", *_PAYMENTS_VIEW,
          *_VAULT_REVEAL, *_EXPORTS), unmasks=True),
    Role("sales", "Sales", "销售", ("lead.callback", "campaign.offline"),
         ("leads.view_lead", "leads.close_lead", "campaigns.view_campaignentry",
          *_VAULT_REVEAL, *_EXPORTS), unmasks=True),
    Role("marketing", "Marketing", "市场营销",
         ("marketing.email", "marketing.sms", "marketing.phone", "survey", "disclosure.public",
          "campaign.offline"),
         ("publication.view_publisheditem", "publication.add_publisheditem",
          "publication.change_publisheditem", "campaigns.view_campaign",
          "campaigns.view_campaignentry", *_EXPORTS)),
    Role(PRIVACY_OFFICER, "Privacy officer", "个人信息保护负责人",
         ("rights.requests", "sharing.register", "consent.management",
          "partner.indirect_collection", "crossborder.transfer", "transfer.corporate",
          "incident.notification"),
         (*_SHARING_VIEW, "sharing.change_flow", "sharing.change_counterparty",
          "sharing.decide_assessment", "sharing.provide", "alerts.view_alert",
          *_INCIDENTS_VIEW, *_INCIDENTS_HANDLE, "incidents.close_incident",
          *_PUBLICATION_VIEW, "publication.publish_publisheditem", *_TRANSACTIONS_VIEW,
          "transactions.change_corporatetransaction", *_TRANSFERS_VIEW, *_TRANSFERS_MANAGE,
          "transfers.change_hold", *_AUTHORITIES_VIEW, "authorities.approve_authorityrequest",
          "authorities.open_document", *_ROLES_MANAGE, *_CONSENT_VIEW,
          "partners.view_partnerrecord", "staffreads.view_unmaskrequest",
          "staffreads.change_unmaskrequest", *_VAULT_REVEAL, *_EXPORTS,
          "exports.view_approval", *_DISCOVERY), unmasks=True),
    Role(SECURITY_OFFICER, "Security officer", "安全负责人",
         ("security", "log.operation", "service.reliability", "incident.notification"),
         ("alerts.view_alert", "alerts.change_alert", "audit.view_auditevent",
          *_SHARING_VIEW, *_INCIDENTS_VIEW, *_INCIDENTS_HANDLE, "incidents.close_incident",
          "incidents.add_drill", "incidents.add_playbook", "incidents.change_playbook",
          *_TRANSFERS_VIEW, *_AUTHORITIES_VIEW, "roles.view_grant", "roles.change_grant",
          "collection.view_event", "collection.view_devicelink", *_EXPORTS, *_DISCOVERY)),
    Role(LEGAL, "Legal", "法务",
         ("sharing.legal", "disclosure.authorities", "transfer.corporate", "retention.legal"),
         (*_SHARING_VIEW, "sharing.add_contract", "sharing.change_counterparty",
          *_INCIDENTS_VIEW, "incidents.add_regulatorsubmission", *_TRANSACTIONS_VIEW,
          "transactions.add_corporatetransaction", "transactions.change_corporatetransaction",
          "transactions.export_corporatetransaction",
          "transactions.sample_corporatetransaction", *_TRANSFERS_VIEW, *_TRANSFERS_MANAGE,
          *_AUTHORITIES_VIEW, "authorities.add_authorityrequest",
          "authorities.change_authorityrequest", "authorities.review_authorityrequest",
          "authorities.approve_authorityrequest", "authorities.deliver_authorityrequest",
          "authorities.open_document")),
    Role("auditor", "Auditor (read-only)", "审计（只读）", (),
         ("audit.view_auditevent", *_SHARING_VIEW, *_INCIDENTS_VIEW, *_PUBLICATION_VIEW,
          *_TRANSACTIONS_VIEW, *_TRANSFERS_VIEW, *_AUTHORITIES_VIEW)),
    Role("administrator", "Administrator", "管理员", (), ("clients.view_apiclient",),
         reaches_pi=False),
)}


def get(key: str) -> Role:
    return ROLES[key]
