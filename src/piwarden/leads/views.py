"""The public contact form at /contact/ (policy §2.1(2)).

Spam defences before anything is stored: a per-IP rate limit, a honeypot field (a filled one
gets the thank-you page and nothing is stored) and a signed start time (a form sent back
faster than a person can fill it is refused and shown again).
"""

import time

from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from piwarden.consent import services as consent
from piwarden.consent.notices import NoticeVersionError
from piwarden.leads import services
from piwarden.leads.forms import ContactForm
from piwarden.leads.models import LeadChannel
from piwarden.web.ratelimit import allow, client_ip

_SALT = "piwarden.leads.form-started"


def _started() -> str:
    return signing.dumps(time.time(), salt=_SALT)


def _fill_seconds(token: str) -> float | None:
    try:
        return time.time() - float(signing.loads(token, salt=_SALT, max_age=86400))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def _page(request, form, *, status=200, error_code=""):
    data = form.data.copy() if form.is_bound else None
    if data is not None:  # a fresh notice version and start time with every rendering
        data["notice_version"] = consent.policy_version()
        data["started"] = _started()
        form.data = data
    return render(request, "leads/contact.html", {
        "form": form, "notice": services.notice_text(translation.get_language()),
        "error_code": error_code, "version": consent.policy_version(),
        "policy_url": policy_url()}, status=status)


@never_cache
@sensitive_post_parameters("phone", "email", "name", "message")
def contact(request):
    if request.method != "POST":
        form = ContactForm(initial={"notice_version": consent.policy_version(),
                                    "started": _started()})
        return _page(request, form)
    form = ContactForm(request.POST)
    ip = client_ip(request)
    if not allow("leads.form", ip, limit=settings_rate(), window=3600):
        form.is_valid()
        form.add_error(None, _("Too many requests from your network. Please try again later."))
        return _page(request, form, status=429, error_code="RATE_LIMITED")
    if not form.is_valid():
        return _page(request, form, status=400, error_code="VALIDATION_ERROR")
    data = form.cleaned_data
    if data["website"]:
        return redirect("leads:thanks")
    elapsed = _fill_seconds(data["started"])
    if elapsed is None or elapsed < settings.PIWARDEN_LEADS_MIN_FILL_SECONDS:
        form.add_error(None, _("The form was sent too quickly. Please check it and send it "
                               "again."))
        return _page(request, form, status=400, error_code="TOO_FAST")
    try:
        services.submit(
            submission=services.Submission(phone=data["phone"], email=data["email"],
                                           name=data["name"], message=data["message"]),
            contact_ok=data["contact_ok"], notice_version=data["notice_version"],
            channel=LeadChannel.FORM, ip=ip,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            lang=translation.get_language())
    except NoticeVersionError as exc:
        form.add_error(None, _("The privacy notice has changed. Please read the current notice "
                               "below and send the form again."))
        return _page(request, form, status=exc.status, error_code=exc.code)
    except services.LeadError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, form, status=exc.status, error_code=exc.code)
    return redirect("leads:thanks")


def thanks(request):
    return render(request, "leads/thanks.html")


def policy_url() -> str:
    """Where the full policy is published (``PIWARDEN_POLICY_URL``); piwarden's own policy page
    (the version in force, docs/policy.md) by default."""
    return settings.PIWARDEN_POLICY_URL or reverse("policy:current")


def settings_rate() -> int:
    """Requests accepted per IP address and hour (form and API each)."""
    return settings.PIWARDEN_LEADS_RATE
