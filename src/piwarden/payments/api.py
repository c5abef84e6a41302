"""The payments API at /api/v1/payments/.

- ``me/…``: the signed-in person's payment profile (masked), orders, credit and transactions,
  with the settle actions (cancel an unpaid order, request a refund).
- ``orders``, ``credit``, ``refunds``: the website's back-end (scope ``payments:write``)
  records orders and what the payment provider confirmed: a token and the last four digits.

Every body is scanned for card data before validation; a hit is 422 ``CARD_DATA_REFUSED``
naming the fields, and nothing is stored.
"""


from django.views.decorators.debug import sensitive_variables
from ninja import Router, Status
from pydantic import ValidationError as PydanticError

from piwarden.accounts.auth import ACCOUNT_AUTH
from piwarden.api_errors import ApiError
from piwarden.audit.actors import Actor
from piwarden.clients.auth import STAFF_OR_CLIENT, require_scope
from piwarden.clients.models import Scope
from piwarden.payments import selectors, services
from piwarden.payments.models import Order, Transaction, TransactionKind
from piwarden.payments.schemas import (
    BalanceOut,
    OrderIn,
    OrderOut,
    PaymentIn,
    PaymentProfileOut,
    PaymentTransactionOut,
    ProfileIn,
    RefundCompleteIn,
    TopUpIn,
)
from piwarden.web import api_input
from piwarden.web.ratelimit import client_ip

router = Router(tags=["payments"])


def _doc(schema) -> dict:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema.model_json_schema()}}}}


@sensitive_variables("data")
def _body(request, schema, *, exempt=None):
    """The validated body, after the card-data scan; errors name fields, never values."""
    data = api_input.load_json(request.body or b"{}")
    if not isinstance(data, dict):
        raise ApiError(422, "VALIDATION_ERROR", "The body must be a JSON object.")
    try:
        services.refuse_card_data(data, **({"exempt": exempt(data)} if exempt else {}))
        return schema.model_validate(data)
    except PydanticError as exc:
        raise ApiError(422, "VALIDATION_ERROR", "The request is not valid.",
                       [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                        for e in exc.errors()]) from None


# --- the person ----------------------------------------------------------------------------

@router.get("/me/profile", response=PaymentProfileOut, auth=ACCOUNT_AUTH)
def my_profile(request):
    """The payment and invoice details, masked."""
    return services.masked_profile(request.auth.subject)


@router.put("/me/profile", response=PaymentProfileOut, auth=ACCOUNT_AUTH,
            openapi_extra=_doc(ProfileIn))
@sensitive_variables("payload", "data")
def save_my_profile(request):
    """Save details. Needs ``consent: true`` (the separate consent for sensitive PI) unless it
    was granted before and not withdrawn, and the current ``notice_version``."""
    payload = _body(request, ProfileIn, exempt=services.profile_exempt)
    data = payload.model_dump(exclude={"consent", "notice_version"}, exclude_none=True)
    services.save_profile(
        account=request.auth, data=data, consent_given=payload.consent,
        notice_version=payload.notice_version, channel="api", ip=client_ip(request) or None,
        user_agent=request.headers.get("User-Agent", "")[:300])
    return services.masked_profile(request.auth.subject)


@router.delete("/me/profile", response={204: None}, auth=ACCOUNT_AUTH)
def delete_my_profile(request):
    subject = request.auth.subject
    services.delete_profile(actor=Actor.person(subject), subject=subject)
    return Status(204, None)


@router.get("/me/orders", response=list[OrderOut], auth=ACCOUNT_AUTH)
def my_orders(request):
    return list(selectors.orders(request.auth.subject))


@router.post("/me/orders/{reference}/cancel", response=OrderOut, auth=ACCOUNT_AUTH)
def cancel_my_order(request, reference: str):
    """Cancel one of my unpaid orders; another person's reference is 404."""
    subject = request.auth.subject
    order = Order.objects.filter(subject=subject, reference=reference).first()
    if order is None:
        raise ApiError(404, "NOT_FOUND", "Not found.")
    return services.cancel_order(actor=Actor.person(subject), order=order)


@router.get("/me/balance", response=BalanceOut, auth=ACCOUNT_AUTH)
def my_balance(request):
    return services.open_items(request.auth.subject)


@router.post("/me/refund", response=PaymentTransactionOut, auth=ACCOUNT_AUTH)
def refund_my_balance(request):
    subject = request.auth.subject
    return services.request_refund(actor=Actor.person(subject), subject=subject)


@router.get("/me/transactions", response=list[PaymentTransactionOut], auth=ACCOUNT_AUTH)
def my_transactions(request):
    return list(selectors.transactions(request.auth.subject))


# --- the website's back-end ----------------------------------------------------------------

@router.post("/orders", response={201: OrderOut}, auth=STAFF_OR_CLIENT,
             openapi_extra=_doc(OrderIn))
def create_order(request):
    actor = require_scope(request, Scope.PAYMENTS_WRITE)
    payload = _body(request, OrderIn)
    subject = services.payer(subject_id=payload.subject)
    order = services.create_order(actor=actor, subject=subject,
                                  reference=payload.reference, amount_minor=payload.amount_minor,
                                  currency=payload.currency, description=payload.description)
    return Status(201, order)


@router.post("/orders/{reference}/payments", response={201: PaymentTransactionOut},
             auth=STAFF_OR_CLIENT, openapi_extra=_doc(PaymentIn))
def record_payment(request, reference: str):
    """The provider confirmed the payment: its reference, token and the card's last four."""
    actor = require_scope(request, Scope.PAYMENTS_WRITE)
    payload = _body(request, PaymentIn)
    order = Order.objects.filter(reference=reference).first()
    if order is None:
        raise ApiError(404, "NOT_FOUND", "Not found.")
    record = services.record_payment(actor=actor, order=order, **payload.model_dump())
    return Status(201, record)


@router.post("/credit", response={201: PaymentTransactionOut}, auth=STAFF_OR_CLIENT,
             openapi_extra=_doc(TopUpIn))
def top_up(request):
    actor = require_scope(request, Scope.PAYMENTS_WRITE)
    payload = _body(request, TopUpIn)
    subject = services.payer(subject_id=payload.subject)
    record = services.top_up(actor=actor, subject=subject,
                             **payload.model_dump(exclude={"subject"}))
    return Status(201, record)


@router.post("/refunds/{refund_id}/complete", response=PaymentTransactionOut, auth=STAFF_OR_CLIENT,
             openapi_extra=_doc(RefundCompleteIn))
def complete_refund(request, refund_id: int):
    actor = require_scope(request, Scope.PAYMENTS_WRITE)
    payload = _body(request, RefundCompleteIn)
    refund = Transaction.objects.filter(pk=refund_id, kind=TransactionKind.REFUND,
                                        restricted=False).first()
    if refund is None:
        raise ApiError(404, "NOT_FOUND", "Not found.")
    return services.complete_refund(actor=actor, refund=refund,
                                    provider_reference=payload.provider_reference)
