"""The person's payment pages: the masked profile, orders, credit, transactions, and the
settle actions that account cancellation points to (cancel an unpaid order, request a refund).

Submissions are scanned for card data before the form is even validated; a refused form is
shown empty again, so a card number typed by mistake is not echoed back.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from piwarden.accounts.views import account_required
from piwarden.audit.actors import Actor
from piwarden.consent import notices
from piwarden.consent.services import policy_version
from piwarden.payments import forms, selectors, services
from piwarden.payments.models import Order
from piwarden.web.ratelimit import client_ip


@account_required
def home(request):
    subject = request.account.subject
    return render(request, "payments/home.html", {
        "profile": services.masked_profile(subject), "items": services.open_items(subject),
        "orders": selectors.orders(subject), "transactions": selectors.transactions(subject)})


@account_required
@sensitive_post_parameters()
@sensitive_variables("data")
def profile(request):
    form, status = None, 200
    if request.method == "POST":
        data = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            services.refuse_card_data(data, exempt=services.profile_exempt(data))
        except services.PaymentError as exc:
            # A fresh form: nothing the person typed is echoed back.
            form = forms.ProfileForm({"notice_version": policy_version(),
                                      "invoice_type": "personal"})
            form.is_valid()
            form.add_error(None, exc.message)
            form.error_code, status = exc.code, exc.status
        else:
            form = forms.ProfileForm(request.POST)
            if form.is_valid():
                status = _save(request, form)
                if status is None:
                    messages.success(request, _("Saved."))
                    return redirect("payments:home")
            else:
                form.error_code, status = "VALIDATION_ERROR", 422
    if form is None:
        form = forms.ProfileForm(initial={"notice_version": policy_version()})
    form.fields["consent"].label = _("I agree to this separate consent")
    return render(request, "payments/profile.html",
                  {"form": form, "notice": services.profile_separate_notice()}, status=status)


def _save(request, form) -> int | None:
    try:
        services.save_profile(
            account=request.account, data=form.service_data(),
            consent_given=form.cleaned_data["consent"],
            notice_version=form.cleaned_data["notice_version"], channel="web",
            ip=client_ip(request) or None, user_agent=request.headers.get("User-Agent", "")[:300])
    except notices.NoticeVersionError as exc:
        # Show the current notice: the page re-renders with the current version.
        form.data = form.data.copy()
        form.data["notice_version"] = exc.current
        form.add_error(None, _("The privacy notice has changed. Read it again below, then "
                               "save."))
        form.error_code = exc.code
        return exc.status
    except services.PaymentError as exc:
        field = exc.fields[0] if exc.fields and exc.fields[0] in form.fields else None
        form.add_error(field, exc.message)
        form.error_code = exc.code
        return exc.status
    return None


@account_required
@require_POST
def delete_profile(request):
    subject = request.account.subject
    services.delete_profile(actor=Actor.person(subject), subject=subject)
    messages.success(request, _("Your payment and invoice details were deleted."))
    return redirect("payments:home")


@account_required
@require_POST
def cancel_order(request, reference):
    subject = request.account.subject
    order = get_object_or_404(Order, subject=subject, reference=reference)
    try:
        services.cancel_order(actor=Actor.person(subject), order=order)
    except services.PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The order was cancelled."))
    return redirect("payments:home")


@account_required
def refund(request):
    """GET shows the open credit; POST asks for all of it back."""
    subject = request.account.subject
    if request.method == "POST":
        try:
            services.request_refund(actor=Actor.person(subject), subject=subject)
        except services.PaymentError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your refund was requested."))
        return redirect("payments:home")
    return render(request, "payments/refund.html", {"items": services.open_items(subject)})
