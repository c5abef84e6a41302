"""Privacy-center pages for rights requests (policy §VI, §IX).

Who the person is: an account holder with a fresh identity check (``accounts.stepup``), or a
session that proved, by a code sent to the contact on file, to belong to a person without an
account (``public``). Nothing about a request is shown or changed before that.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from piwarden.accounts import stepup
from piwarden.audit.actors import Actor
from piwarden.catalog import labels
from piwarden.consent.notices import NoticeVersionError, check_version
from piwarden.consent.services import policy_version
from piwarden.rights import forms, public, selectors, services
from piwarden.rights.models import RequestChannel, RequestStatus, RequestType
from piwarden.subjectdata import access
from piwarden.web.ratelimit import client_ip


def _account(request):
    user = request.user
    if user.is_authenticated and user.is_active and hasattr(user, "account"):
        return user.account
    return None


def _person(request):
    """(subject, channel) once identity is proven, else a redirect to the right check."""
    account = _account(request)
    if account is not None:
        if not stepup.is_fresh(request):
            return None, redirect(f"{reverse('accounts:reauth')}?next={request.get_full_path()}")
        return account.subject, RequestChannel.PRIVACY_CENTER
    subject = public.verified_subject(request.session)
    if subject is None:
        return None, redirect(f"{reverse('rights:verify')}?next={request.get_full_path()}")
    return subject, RequestChannel.PUBLIC_FORM


def _lang() -> str:
    return "zh-hans" if (get_language() or "").startswith("zh") else "en"


def _with_notice(request, current: str):
    """The submitted data with the current notice version: the page shows the new notice."""
    data = request.POST.copy()
    data["notice_version"] = current
    return data


def _error(form, exc):
    form.add_error(None, exc.message)
    form.error_code = exc.code
    return exc.status


@never_cache
def index(request):
    """The person's requests with status and due date."""
    account = _account(request)
    subject = account.subject if account else public.verified_subject(request.session)
    requests = selectors.requests_of(subject) if subject else []
    return render(request, "rights/index.html", {
        "requests": requests, "known": subject is not None, "account": account})


@never_cache
@sensitive_post_parameters("text")
def new(request):
    """Step 1 (no ``type``): what the person asks for. Step 2 (``?type=…``, and the POST):
    the form of that type only (``forms.NewRequestForm``); works without JavaScript."""
    subject, channel = _person(request)
    if subject is None:
        return channel
    source = request.POST if request.method == "POST" else request.GET
    type_ = forms.person_type(source.get("type"))
    if type_ is None:
        return render(request, "rights/new.html", {
            "step": 1, "notice_version": policy_version(),
            "types": [(value, label, forms.TYPE_HINTS.get(value, ""))
                      for value, label in forms.PERSON_TYPES]},
            status=400 if request.method == "POST" else 200)
    status = 200
    form = forms.NewRequestForm(request.POST or None, type_=type_, subject=subject,
                                initial={"notice_version": policy_version()})
    if request.method == "POST" and form.is_valid():
        try:
            check_version(form.cleaned_data["notice_version"])
            req = services.submit(actor=Actor.person(subject), subject=subject,
                                  type=type_, channel=channel,
                                  params={**form.params(), "lang": _lang()},
                                  text=form.text(), verified=True)
        except NoticeVersionError as exc:
            form = forms.NewRequestForm(_with_notice(request, exc.current), type_=type_,
                                        subject=subject)
            form.is_valid()
            status = _error(form, exc)
        except services.RightsError as exc:
            status = _error(form, exc)
        else:
            messages.success(request, _("Your request was received. We answer by %(due)s.")
                             % {"due": labels.china_date(req.due_date)})
            return redirect(req)
    elif request.method == "POST":
        status = 400
    return render(request, "rights/new.html", {
        "step": 2, "form": form, "type_label": RequestType(type_).label,
        "notice_version": policy_version()}, status=status)


@never_cache
def detail(request, request_id):
    subject, _channel = _person(request)
    if subject is None:
        return _channel
    req = selectors.request_of(subject, request_id)
    if req is None:
        raise Http404
    return render(request, "rights/detail.html", {
        "req": req, "events": req.events.all(), "details": services.details(req),
        "can_withdraw": req.is_open and not (req.export_archive_id or req.erasure_run_id
                                             or req.cancellation_started_at),
        "handler_contact": services.notify.handler_contact(),
        "refusal": (req.params.get("refusal") or {}).get(get_language())
        or req.refusal_reason,
        "field_label": forms.FIELD_LABELS.get(req.params.get("field") or "", ""),
        "certificate_url": (f"/privacy/data/certificates/{req.erasure_run_id}/"
                            if req.erasure_run_id and req.status == RequestStatus.COMPLETED
                            else ""),
        "export_url": (f"/privacy/data/exports/{req.export_archive_id}/"
                       if req.export_archive_id and req.status == RequestStatus.COMPLETED
                       else ""),
    })


@require_POST
def withdraw(request, request_id):
    subject, _channel = _person(request)
    if subject is None:  # after the check, back to the request's page (this URL is POST only)
        detail_url = reverse("rights:detail", args=[request_id])
        return redirect(_channel.url.split("?next=")[0] + f"?next={detail_url}")
    req = selectors.request_of(subject, request_id)
    if req is None:
        raise Http404
    try:
        if req.type == RequestType.CANCELLATION:
            services.undo_cancellation(actor=Actor.person(subject), rights_request=req)
            messages.success(request, _("The cancellation is undone. Your account stays."))
        else:
            services.withdraw(actor=Actor.person(subject), rights_request=req)
            messages.success(request, _("Your request is withdrawn."))
    except services.RightsError as exc:
        messages.error(request, exc.message)
    return redirect(req)


@never_cache
def cancel(request):
    """Account cancellation: the reminders first, then the person decides."""
    account = _account(request)
    if account is None:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    subject, _channel = _person(request)
    if subject is None:
        return _channel
    reminders = services.cancellation_reminders(subject)
    status = 200
    form = forms.CancelForm(request.POST or None, initial={"notice_version": policy_version()})
    if request.method == "POST" and form.is_valid():
        try:
            check_version(form.cleaned_data["notice_version"])
            req = services.submit(actor=Actor.person(subject), subject=subject,
                                  type=RequestType.CANCELLATION,
                                  channel=RequestChannel.PRIVACY_CENTER,
                                  params={"lang": _lang()}, verified=True)
        except NoticeVersionError as exc:
            form = forms.CancelForm(_with_notice(request, exc.current))
            form.is_valid()
            status = _error(form, exc)
        except services.RightsError as exc:
            status = _error(form, exc)
        else:
            return redirect(req)
    elif request.method == "POST":
        status = 400
    return render(request, "rights/cancel.html", {
        "form": form, "reminders": reminders, "zh": _lang() == "zh-hans",
        "blocking": any(r.blocking for r in reminders),
        "cooling_off_days": services.cooling_off_days(), "notice_version": policy_version()},
        status=status)


@never_cache
@sensitive_post_parameters("value")
def verify(request):
    """Public form: the e-mail or phone given to us; the answer is the same either way."""
    form = forms.PublicStartForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            public.start(request.session, channel=form.cleaned_data["channel"],
                         value=form.cleaned_data["value"], ip=client_ip(request))
        except public.CodeError as exc:
            status = _error(form, exc)
        else:
            nxt = request.GET.get("next", "")
            return redirect(reverse("rights:verify_code")
                            + (f"?next={nxt}" if nxt.startswith("/privacy/") else ""))
    elif request.method == "POST":
        status = 400
    return render(request, "rights/verify.html", {"form": form}, status=status)


@never_cache
@sensitive_post_parameters("code")
def verify_code(request):
    form = forms.CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            subject = public.confirm(request.session, code=form.cleaned_data["code"])
        except public.CodeError as exc:
            status = _error(form, exc)
        else:
            access.mark_verified(request, subject)
            nxt = request.GET.get("next", "")
            return redirect(nxt if nxt.startswith("/privacy/") else reverse("rights:new"))
    elif request.method == "POST":
        status = 400
    return render(request, "rights/verify_code.html", {"form": form}, status=status)
