"""Words for the sources of the subject-data registry (``subjects.registry``), as a person sees
them on a deletion certificate or in an export: ``vault.values`` is "Your personal details".

One table, next to the engine that walks the registry; a source registered without an entry
here gets a readable fallback (never its key), and ``tests/subjectdata`` fails on it.
"""

import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SOURCES = {
    "accounts.account": _("Your account, its sessions and its history of changes"),
    "accounts.message_files": _("Copies of e-mails and text messages sent to you"),
    "alerts.alerts": _("Security alerts that concerned you"),
    "audit.trail": _("Records of who processed your information"),
    "campaigns.entries": _("Sign-ups at events and campaigns"),
    "collection.events": _("Activity, device and location records"),
    "consent.ledger": _("Your consents and their history"),
    "incidents.affected": _("Security incidents that concerned you"),
    "leads.requests": _("Call-back requests"),
    "notify.deliveries": _("Notices sent to you and calls made to you"),
    "outbox.messages": _("Messages waiting to be sent to you"),
    "partners.records": _("Information partners gave us about you"),
    "payments": _("Payments, orders, invoices and credit"),
    "policy.acceptances": _("Privacy policy versions you accepted"),
    "publication.items": _("Testimonials and case studies naming you"),
    "rights.code_challenges": _("Codes sent to check it was you"),
    "rights.requests": _("Your privacy requests"),
    "sharing.disclosures": _("Records of what we shared with other companies"),
    "staffreads.unmask_requests": _("Staff requests to see your full details"),
    "subjectdata.requests": _("Copies of your data and deletion certificates"),
    "transactions.listed": _("Records of a company merger or sale that concerned you"),
    "transfers.counted": _("Records of transfers of your information abroad"),
    "vault.values": _("Your personal details (name, contacts, address, ID)"),
}

# The reasons the sources give for what they keep (``registry.Kept.reason``, stored in the
# certificate in English) -> the words a person reads, in their language. A reason missing
# here is shown as stored.
KEPT_REASONS = {
    "Access logs are kept six to twelve months (Cybersecurity Law Art. 21), detached from the "
    "person, then deleted.":
        _("Access logs are kept six to twelve months (Cybersecurity Law Art. 21), detached "
          "from you, then deleted."),
    "The record of who was told of a merger or sale and whose data went to the new holder "
    "(PIPL Art. 22); it holds ids, never PI values.":
        _("The record of who was told of a merger or sale and whose data went to the new "
          "holder (PIPL Art. 22); it holds no personal information."),
    "The record that you were told what the law requires (a security incident, a change of "
    "the privacy policy, a service ending); it holds no contact detail.":
        _("The record that you were told what the law requires (a security incident, a "
          "change of the privacy policy, a service ending); it holds no contact detail."),
    "Which policy version a person accepted is the evidence of what they were told (PIPL "
    "Art. 14, 17); it holds no PI value.":
        _("Which privacy policy version you accepted is the evidence of what you were told "
          "(PIPL Art. 14, 17); it holds no personal information."),
    "Incident records are the proof of the notice and report PIPL Art. 57 asks for; they hold "
    "ids, never PI values.":
        _("Incident records are the proof of the notice and report PIPL Art. 57 asks for; "
          "they hold no personal information."),
    "Record that the request was received and answered (PIPL Art. 50); type, dates and status "
    "only.":
        _("The record that your request was received and answered (PIPL Art. 50): its type, "
          "dates and status only."),
    "The audit trail is append-only evidence of every action on personal information (PIPL "
    "Art. 54, Cybersecurity Law Art. 21); its records hold keys and names, never PI values.":
        _("The audit trail is the evidence of every action on personal information (PIPL "
          "Art. 54, Cybersecurity Law Art. 21); it holds no personal information."),
    "A message to you still being sent (such as the confirmation of this erasure); its "
    "address and text are deleted once it is sent.":
        _("A message to you still being sent (such as the confirmation of this deletion); "
          "its address and text are deleted once it is sent."),
    "Security alerts are the record of the protection measures taken (PIPL Art. 51, "
    "Cybersecurity Law Art. 21); they hold references, never PI values.":
        _("Security alerts are the record of the protection measures taken (PIPL Art. 51, "
          "Cybersecurity Law Art. 21); they hold no personal information."),
    "The consent ledger is evidence of each grant, refusal and withdrawal (catalog activity "
    "consent.ledger); it no longer holds the IP address or browser, and is used for nothing "
    "else.":
        _("The record of your consents is the evidence of each grant, refusal and "
          "withdrawal; it no longer holds your IP address or browser, and is used for "
          "nothing else."),
    "The consent ledger keeps that the person agreed, when and to which notice (the scan "
    "itself no longer opens).":
        _("The record of your consents keeps that you agreed, when and to which notice (the "
          "scanned form itself can no longer be opened)."),
    "The record of each erasure and its certificate prove the request was carried out; they "
    "hold no personal information.":
        _("The record of each deletion and its certificate prove that your request was "
          "carried out; they hold no personal information."),
    "The register of provisions to other parties is evidence of each provision and lists "
    "where this deletion was forwarded (PIPL Art. 55-56).":
        _("The register of what we provided to other companies is the evidence of each "
          "provision and lists where this deletion was forwarded (PIPL Art. 55-56)."),
    "E-Commerce Law Art. 31: transaction records are kept at least 3 years after the "
    "transaction; restricted from any other use.":
        _("Transaction records are kept at least 3 years after the transaction (E-Commerce "
          "Law Art. 31) and used for nothing else."),
    "An open prepaid balance is owed to the person until it is refunded.":
        _("An open prepaid balance is owed to you until it is refunded."),
}


def reason(text: str) -> str:
    """The words for a kept record's reason in the active language."""
    if text in KEPT_REASONS:
        return str(KEPT_REASONS[text])
    return gettext(text) if text else ""


def label(name: str) -> str:
    """The words for a registry source; an unknown one: its last part, humanised."""
    if name in SOURCES:
        return str(SOURCES[name])
    return name.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def _day(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def rows(items: list[dict]) -> list[dict]:
    """Certificate rows with words beside the keys: ``source_label``, ``until_date`` (a date)
    and ``reason_text`` (the reason in the active language when it has a translation)."""
    return [{**item, "source_label": label(item.get("source", "")),
             "until_date": _day(item.get("until")),
             "reason_text": reason(item.get("reason") or "")}
            for item in items]
