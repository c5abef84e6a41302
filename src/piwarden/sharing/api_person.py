"""The person's sharing API (mounted at /api/v1/sharing/): who has my data, which companies
ask for my consent, and my choice about one of them.

Authenticated like every ``/me`` endpoint: the person's session (with its CSRF token) or a
personal access token. Each answer is about ``request.auth``'s own person only; no id in a
request can name another person. The words come from ``labels``, the same as the page, and a
choice is recorded with the notice the page shows in the language asked for.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema, Status

from piwarden.accounts.auth import ACCOUNT_AUTH
from piwarden.api_errors import ApiError
from piwarden.consent.models import Channel
from piwarden.sharing import labels
from piwarden.sharing.forms import RecipientConsentForm
from piwarden.web.ratelimit import client_ip

router = Router(tags=["sharing"], auth=ACCOUNT_AUTH)

Lang = Literal["en", "zh-hans"]


class SharingCompanyOut(Schema):
    recipient: str
    name: str
    description: str
    contact: str
    country: str
    country_name: str
    role: str
    role_name: str


class SharingProvidedOut(Schema):
    purpose: str
    purpose_name: str
    categories: list[str]
    category_names: list[str]
    times: int
    first_provided_at: datetime
    last_provided_at: datetime
    provided_at: list[datetime]


class SharingAbroadOut(Schema):
    """The recipient is outside mainland China (PIPL Art. 39; transfers app)."""

    country: str
    country_name: str
    rights: list[str] = Field(description="How to exercise your rights against the recipient.")


class SharingReceivedOut(Schema):
    company: SharingCompanyOut
    provided: list[SharingProvidedOut]
    abroad: SharingAbroadOut | None = Field(None, description="Set when the recipient is "
                                                              "outside mainland China.")


class SharingRecipientsOut(Schema):
    recipients: list[SharingReceivedOut]
    withheld: int = Field(description="Provisions to authorities that the law keeps from you "
                                      "(PIPL Art. 18, 45): counted, not listed.")


class SharingNoticeOut(Schema):
    text: str
    version: str


class SharingOfferOut(Schema):
    flow: int
    company: SharingCompanyOut
    purpose: str
    purpose_name: str
    method: str
    method_name: str
    categories: list[str]
    category_names: list[str]
    active: bool
    state: Literal["granted", "withdrawn", "refused", "not_asked"]
    since: datetime | None
    state_name: str
    changed: bool = Field(description="Granted on a notice that differs from today's: grant "
                                      "again to agree to the details shown, or withdraw.")
    notice: SharingNoticeOut


class SharingConsentIn(Schema):
    flow: int
    choice: Literal["grant", "withdraw"]
    notice_version: str | None = Field(None, max_length=32)
    lang: Lang | None = Field(None, description="The language the notice was shown in; "
                                                "default: the request's language.")


class SharingConsentOut(Schema):
    event: int
    flow: int
    recipient: str
    choice: str
    recorded_at: datetime
    notice: SharingNoticeOut
    erasure_due: datetime | None


def _company(company: labels.Company) -> dict:
    return {"recipient": company.key, "name": company.name, "description": company.kind,
            "contact": company.contact, "country": company.country,
            "country_name": company.country_name, "role": company.role,
            "role_name": company.role_name}


@router.get("/me/recipients", response=SharingRecipientsOut)
def my_recipients(request, lang: Lang | None = None):
    """Who received my personal information, per recipient (newest first): purpose,
    categories and dates in China time; ``abroad`` for a recipient outside mainland China.
    Provisions the law keeps confidential are withheld and counted in ``withheld``."""
    groups, withheld = labels.received(request.auth.subject, lang)
    return {"withheld": withheld, "recipients": [
        {"company": _company(group.company), "provided": [
            {"purpose": p.purpose, "purpose_name": p.purpose_name, "categories": p.categories,
             "category_names": p.category_names, "times": len(p.dates),
             "first_provided_at": labels.china_time(p.first),
             "last_provided_at": labels.china_time(p.last),
             "provided_at": [labels.china_time(d) for d in p.dates]}
            for p in group.provided],
         "abroad": group.abroad and {"country": group.abroad.country,
                                     "country_name": group.abroad.country_name,
                                     "rights": list(group.abroad.rights)}}
        for group in groups]}


@router.get("/me/offers", response=list[SharingOfferOut])
def my_offers(request, lang: Lang | None = None):
    """The companies that receive my data only with my separate consent, each with the
    notice to show before asking (the text recorded with a choice)."""
    return [_offer(offer) for offer in labels.offers(request.auth.subject, lang)]


def _offer(offer: labels.Offer) -> dict:
    return {"flow": offer.flow.pk, "company": _company(offer.company), "purpose": offer.purpose,
            "purpose_name": offer.purpose_name, "method": offer.method,
            "method_name": offer.method_name, "categories": offer.categories,
            "category_names": offer.category_names, "active": offer.active,
            "state": offer.state, "since": labels.china_time(offer.since),
            "state_name": offer.state_name, "changed": offer.changed,
            "notice": {"text": offer.notice.text, "version": offer.version}}


@router.post("/me/consents", response={201: SharingConsentOut})
def my_consent(request, payload: SharingConsentIn):
    """Grant or withdraw my consent to one company's flow; the notice recorded is the one
    ``/me/offers`` shows in ``lang``. 404 ``UNKNOWN_OFFER`` for a flow that is not offered to
    me, 409 ``FLOW_INACTIVE`` (grant of a flow not running), ``NOT_GRANTED`` (nothing to
    withdraw) or ``NOTICE_OUTDATED`` (``notice_version`` is not the current one)."""
    form = RecipientConsentForm(payload.model_dump(), subject=request.auth.subject,
                                lang=payload.lang or labels.language())
    if not form.is_valid():
        raise ApiError(*form.refusal())
    event = form.save(channel=Channel.API, ip=client_ip(request),
                      user_agent=request.headers.get("user-agent", ""))
    erasure = getattr(event, "erasure", None)  # data kept only for this consent (Art. 47)
    return Status(201, {
        "event": event.pk, "flow": form.offer.flow.pk, "recipient": event.recipient,
        "choice": event.choice, "recorded_at": labels.china_time(event.occurred_at),
        "notice": {"text": form.offer.notice.text, "version": form.offer.version},
        "erasure_due": labels.china_time(erasure.due_at) if erasure else None})
