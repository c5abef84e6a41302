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

ROLES = {role.key: role for role in (
    Role("support", "Customer support", "客户支持", ("rights.requests", "account.registration"),
         ("rights.view_rightsrequest", "rights.change_rightsrequest"), unmasks=True),
    Role("sales", "Sales", "销售", ("leads.callback",), ("leads.view_lead",), unmasks=True),
    Role("marketing", "Marketing", "市场营销",
         ("marketing.email", "marketing.sms", "disclosure.public"),
         ("publication.view_publisheditem", "publication.add_publisheditem",
          "publication.change_publisheditem")),
    Role(PRIVACY_OFFICER, "Privacy officer", "个人信息保护负责人",
         ("rights.requests", "sharing.register", "consent.management"),
         (*_SHARING_VIEW, "sharing.change_flow", "sharing.change_counterparty",
          "sharing.decide_assessment", "sharing.provide", "alerts.view_alert",
          *_INCIDENTS_VIEW, *_INCIDENTS_HANDLE, "incidents.close_incident",
          *_PUBLICATION_VIEW, "publication.publish_publisheditem", *_TRANSACTIONS_VIEW,
          "transactions.change_corporatetransaction", *_TRANSFERS_VIEW, *_TRANSFERS_MANAGE,
          "transfers.change_hold", *_AUTHORITIES_VIEW, "authorities.approve_authorityrequest",
          "authorities.open_document"), unmasks=True),
    Role(SECURITY_OFFICER, "Security officer", "安全负责人", ("security",),
         ("alerts.view_alert", "alerts.change_alert", "audit.view_auditevent",
          *_SHARING_VIEW, *_INCIDENTS_VIEW, *_INCIDENTS_HANDLE, "incidents.close_incident",
          "incidents.add_drill", "incidents.add_playbook", "incidents.change_playbook",
          *_TRANSFERS_VIEW, *_AUTHORITIES_VIEW)),
    Role(LEGAL, "Legal", "法务", ("sharing.legal",),
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
    Role("administrator", "Administrator", "管理员", (), ("clients.view_apiclient",)),
)}


def get(key: str) -> Role:
    return ROLES[key]
