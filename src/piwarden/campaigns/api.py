"""The person's own API for their leads and campaign entries (``/api/v1/campaigns/me/…``):
what matches their verified phone or e-mail, what they claimed, and claiming. Masks only; the
full values are on the privacy-center page after a fresh identity check."""

from ninja import Router

from piwarden.accounts import selectors as accounts
from piwarden.accounts.auth import ACCOUNT_AUTH
from piwarden.campaigns import selectors, services
from piwarden.campaigns.schemas import ClaimIn, ClaimOut, RecordsOut
from piwarden.leads import selectors as lead_selectors
from piwarden.leads import services as leads
from piwarden.vault import services as vault

router = Router(tags=["campaigns"], auth=ACCOUNT_AUTH)
_LEAD_FIELDS = {f: v for f, v in leads.FIELDS.items() if f != "leads_message"}


def _lead(lead) -> dict:
    return {"kind": "lead", "id": lead.pk, "date": lead.last_submitted_at.date().isoformat(),
            "campaign": None,
            "masked": {key: vault.masked(lead.subject, f) for f, (_c, key) in
                       _LEAD_FIELDS.items()}}


def _entry(entry) -> dict:
    return {"kind": "entry", "id": entry.pk, "date": entry.created_at.date().isoformat(),
            "campaign": entry.campaign.name,
            "masked": {key: vault.masked(entry.subject, f) for f, (_c, key) in
                       services.FIELDS.items()}}


@router.get("/me/records", response=RecordsOut)
def my_records(request):
    account = request.auth
    ids = accounts.matching_subject_ids(account)
    return {
        "claimable": [_lead(x) for x in lead_selectors.claimable(account, ids)
                      .select_related("subject")]
        + [_entry(x) for x in selectors.claimable(account, ids)
           .select_related("subject", "campaign")],
        "mine": [_lead(x) for x in lead_selectors.held_by(account.subject)]
        + [_entry(x) for x in selectors.held_by(account.subject)],
    }


@router.post("/me/claim", response=ClaimOut)
def claim(request, payload: ClaimIn):
    """Claim records listed as claimable; ids that do not match the account are ignored."""
    account = request.auth
    return {"claimed": leads.claim(account=account, lead_ids=payload.leads)
            + services.claim(account=account, entry_ids=payload.entries)}
