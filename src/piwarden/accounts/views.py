"""The account pages ("Personal Information Edit", policy §2.1(3), §6.1-6.2).

Views only shape requests: every rule and every write is in ``services``. A refusal is shown
on the form with its machine code and the service's HTTP status.
"""

import functools

from django.contrib import auth as django_auth
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from piwarden.accounts import conf, forms, registry, selectors, services, sessions, stepup
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import AccessToken, Channel
from piwarden.catalog import labels
from piwarden.vault import services as vault
from piwarden.web.ratelimit import client_ip

EDITABLE = {"user_name": gettext_lazy("User name"), "name": pgettext_lazy("person", "Name"),
            "contact_other": gettext_lazy("Other contact")}
FIELD_LABELS = {
    "phone": gettext_lazy("Mobile phone number"), "email": gettext_lazy("E-mail"),
    "user_name": gettext_lazy("User name"), "name": pgettext_lazy("person", "Name"),
    "address": gettext_lazy("Address"), "contact_other": gettext_lazy("Other contact"),
    "id_info": gettext_lazy("ID information"), "avatar": gettext_lazy("User logo"),
    "password": gettext_lazy("Password"),
}


def _account(request):
    user = request.user
    if user.is_authenticated and user.is_active and hasattr(user, "account"):
        return user.account
    return None


def account_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        account = _account(request)
        if account is None:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        request.account = account
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def fresh_required(view):
    """Send the person to confirm their identity first, then back here."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not stepup.is_fresh(request):
            return redirect(f"{reverse('accounts:reauth')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapper


def _form_page(request, form, *, title, intro="", submit=None, status=200, extra=None,
               multipart=False):
    context = {"form": form, "title": title, "intro": intro, "submit": submit or _("Save"),
               "multipart": multipart, **(extra or {})}
    return render(request, "accounts/form.html", context, status=status)


def _refused(form, exc: AccountError) -> int:
    """Put the refusal on the form (on its field when the form has one)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
    form.error_code = exc.code
    return exc.status


def _invalid(form) -> int:
    form.error_code = "VALIDATION_ERROR"
    return 422


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


@never_cache
def home(request):
    account = _account(request)
    if account is None:
        return redirect("accounts:login")
    from piwarden.rights import selectors as rights

    return render(request, "accounts/home.html", {
        "profile": services.masked_profile(account), "account": account,
        "revealable": services.REVEALABLE,
        "cancellation": rights.pending_cancellation(account.subject),
    })


@never_cache
@sensitive_post_parameters("password")
def sign_up(request):
    if _account(request) is not None:
        return redirect("accounts:home")
    form = forms.SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                account = services.sign_up(ip=client_ip(request), channel=Channel.WEB,
                                           **form.cleaned_data)
            except AccountError as exc:
                status = _refused(form, exc)
            else:
                sessions.start(request, account)
                messages.success(request, _("Account created. Enter the codes we sent to "
                                            "your phone and e-mail."))
                return redirect("accounts:verify")
        else:
            status = _invalid(form)
    return _form_page(request, form, title=_("Create an account"), status=status,
                      submit=_("Sign up"),
                      intro=_("We ask only for your mobile number, e-mail and a password. "
                              "Other information is asked only when a service needs it."))


@never_cache
@sensitive_post_parameters("password", "otp")
def log_in(request):
    form = forms.LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                account = services.log_in(ip=client_ip(request), **form.cleaned_data)
            except AccountError as exc:
                status = _refused(form, exc)
            else:
                sessions.start(request, account)
                return redirect(_safe_next(request, reverse("accounts:home")))
        else:
            status = _invalid(form)
    return _form_page(request, form, title=_("Log in"), submit=_("Log in"), status=status,
                      extra={"next": _safe_next(request, "")})


@require_POST
def log_out(request):
    django_auth.logout(request)
    return redirect("accounts:login")


@require_POST
@account_required
def log_out_everywhere(request):
    services.end_all_sessions(account=request.account)
    django_auth.logout(request)
    return redirect("accounts:login")


@account_required
@sensitive_post_parameters("code")
def verify(request):
    """Bind phone and e-mail with their codes; each channel can also resend."""
    account = request.account
    form = forms.CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        channel = form.cleaned_data["channel"]
        try:
            if "resend" in request.POST:
                services.send_code(account=account, channel=channel, ip=client_ip(request))
                messages.info(request, _("A new code is on its way."))
            else:
                services.verify_contact(account=account, channel=channel,
                                        code=form.cleaned_data["code"])
                messages.success(request, _("Verified."))
            return redirect("accounts:verify")
        except AccountError as exc:
            status = _refused(form, exc)
    elif request.method == "POST":
        status = _invalid(form)
    return render(request, "accounts/verify.html", {
        "form": form, "profile": services.masked_profile(account), "account": account,
    }, status=status)


@account_required
@sensitive_post_parameters("password", "otp")
def reauth(request):
    form = forms.ReauthForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.reauthenticate(account=request.account, **form.cleaned_data)
        except AccountError as exc:
            status = _refused(form, exc)
        else:
            stepup.mark_fresh(request)
            return redirect(_safe_next(request, reverse("accounts:home")))
    return _form_page(request, form, title=_("Confirm it is you"), submit=_("Confirm"),
                      status=status, extra={"next": _safe_next(request, "")},
                      intro=_("For your security, enter your password or an authentication "
                              "code. It stays valid for 5 minutes."))


@account_required
@fresh_required
def reveal(request, field):
    if field not in services.REVEALABLE:
        raise Http404
    try:
        value, error, status = services.reveal(account=request.account, field=field), None, 200
    except AccountError as exc:
        value, error, status = None, exc, exc.status
    return render(request, "accounts/reveal.html", {
        "label": str(FIELD_LABELS[field]), "value": value, "field": field, "error": error},
        status=status)


@account_required
def edit_field(request, field):
    if field not in EDITABLE:
        raise Http404
    form = forms.ValueForm(request.POST or None)
    form.fields["value"].label = str(EDITABLE[field])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_field(account=request.account, field=field,
                                   value=form.cleaned_data["value"], channel=Channel.WEB)
            except AccountError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("accounts:home")
        else:
            status = _invalid(form)
    return _form_page(request, form, title=str(EDITABLE[field]), status=status)


@account_required
def address(request):
    form = forms.AddressForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_field(account=request.account, field="address",
                                   value=form.cleaned_data, channel=Channel.WEB)
            except AccountError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("accounts:home")
        else:
            status = _invalid(form)
    return _form_page(request, form, title=_("Address"), status=status)


@account_required
@fresh_required
@sensitive_post_parameters("code")
def change_contact(request, channel):
    """Step 1: the new value gets a code. Step 2: the code confirms the change."""
    if channel not in ("phone", "email"):
        raise Http404
    form = forms.NewContactForm(request.POST or None)
    form.fields["new_value"].label = _("New mobile phone number") if channel == "phone" \
        else _("New e-mail")
    status = 200
    sent = False
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if not data["code"]:
                    services.send_code(account=request.account, channel=channel,
                                       ip=client_ip(request), new_value=data["new_value"])
                    sent = True
                else:
                    services.change_contact(account=request.account, channel=channel,
                                            new_value=data["new_value"], code=data["code"],
                                            via=Channel.WEB)
                    messages.success(request, _("Changed."))
                    return redirect("accounts:home")
            except AccountError as exc:
                status = _refused(form, exc)
        else:
            status = _invalid(form)
    intro = (_("We sent a code to the new value. Enter it below.") if sent else
             _("Enter the new value and leave the code empty: we send a code to it first."))
    return _form_page(request, form, title=str(FIELD_LABELS[channel]), intro=intro,
                      status=status)


@account_required
@sensitive_post_parameters("current_password", "new_password")
def password(request):
    form = forms.PasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            old_key = request.session.session_key
            try:
                services.change_password(
                    account=request.account, current=form.cleaned_data["current_password"],
                    new=form.cleaned_data["new_password"], keep_session=old_key,
                    channel=Channel.WEB)
            except AccountError as exc:
                status = _refused(form, exc)
            else:
                django_auth.update_session_auth_hash(request, request.account.user)
                services.replace_session(account=request.account, old_key=old_key,
                                         new_key=request.session.session_key)
                stepup.mark_fresh(request)
                messages.success(request, _("Password changed. Your other sessions have "
                                            "ended."))
                return redirect("accounts:home")
        else:
            status = _invalid(form)
    return _form_page(request, form, title=_("Password"), status=status,
                      intro=_("Changing your password logs out your other sessions."))


@account_required
def avatar(request):
    form = forms.AvatarForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if "delete" in request.POST:
            services.delete_avatar(account=request.account, channel=Channel.WEB)
            return redirect("accounts:home")
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > conf.avatar_max_bytes():
                    raise AccountError("AVATAR_TOO_LARGE",
                                       _("The image is larger than allowed."), status=413,
                                       field="file")
                services.set_avatar(account=request.account, data=upload.read(),
                                    channel=Channel.WEB)
            except AccountError as exc:
                exc.field = "file"
                status = _refused(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("accounts:home")
        else:
            status = _invalid(form)
    return _form_page(request, form, title=_("User logo"), status=status, multipart=True,
                      intro=_("The image is re-encoded: its metadata, including any location, "
                              "is removed."),
                      extra={"avatar_delete": request.account.avatar != ""})


@account_required
def avatar_image(request):
    path = services.avatar_path(request.account)
    if path is None or not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), content_type="image/png")


@account_required
@fresh_required
@sensitive_post_parameters("id_number", "guardian_email")
def id_info(request):
    """Asked only for a service that needs ID information, with its separate consent."""
    service = request.GET.get("service", "")
    if not registry.needs(service, "id_info"):
        raise Http404
    form = forms.IdInfoForm(request.POST or None)
    notice = services.id_notice(service)  # shown above the form, before the tick
    form.fields["consent"].label = _("I agree to this separate consent")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                pending = services.set_id_info(
                    account=request.account, service=service, id_type=data["id_type"],
                    id_number=data["id_number"], consent_given=data["consent"],
                    guardian_email=data["guardian_email"], channel=Channel.WEB,
                    ip=client_ip(request) or None,
                    user_agent=request.headers.get("User-Agent", "")[:300])
            except AccountError as exc:
                status = _refused(form, exc)
            else:
                if pending is not None:
                    messages.info(request, _("We asked your parent or guardian to confirm. "
                                             "Nothing is saved until they do."))
                else:
                    messages.success(request, _("Saved."))
                return redirect("accounts:services")
        else:
            status = _invalid(form)
    # The notice line by line (what, why, how long, if you refuse), each line escaped.
    intro = format_html_join(mark_safe("<br>"), "{}", ((line,) for line in notice.split("\n")))
    return _form_page(request, form, title=_("ID information"), status=status, intro=intro)


@never_cache
@sensitive_post_parameters("id_number")
def guardian(request, token):
    """Public: the guardian's link. Shows what is asked and takes the guardian's decision."""
    pending = services.guardian_request(token)
    if pending is None:
        raise Http404
    form = forms.GuardianForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.confirm_guardian(
                    token=token, id_number=form.cleaned_data["id_number"],
                    consent_given=form.cleaned_data["consent"], ip=client_ip(request) or None,
                    user_agent=request.headers.get("User-Agent", "")[:300])
            except AccountError as exc:
                status = _refused(form, exc)
            else:
                return render(request, "accounts/guardian_done.html")
        else:
            status = _invalid(form)
    return _form_page(request, form, title=_("Consent of a parent or guardian"),
                      status=status, submit=_("Give consent"),
                      intro=services.id_notice(pending.service))


@account_required
def history(request):
    changes = selectors.history(request.account)
    return render(request, "accounts/history.html", {
        "changes": [(str(FIELD_LABELS[c.field]) if c.field in FIELD_LABELS
                     else labels.humanise(c.field), c) for c in changes]})


@account_required
def service_list(request):
    status = 200
    error = None
    if request.method == "POST":
        try:
            services.activate_service(account=request.account,
                                      service=request.POST.get("service", ""))
        except AccountError as exc:
            status, error = exc.status, exc
        else:
            messages.success(request, _("Service activated."))
            return redirect("accounts:services")
    rows = selectors.service_status(request.account)
    for row in rows:
        row["missing_labels"] = [str(FIELD_LABELS[f]) for f in row["missing"]]
    return render(request, "accounts/services.html", {"services": rows, "error": error},
                  status=status)


@account_required
def security(request):
    account = request.account
    tokens = AccessToken.objects.filter(account=account, revoked_at=None).order_by("-created_at")
    return render(request, "accounts/security.html", {
        "account": account, "tokens": tokens, "fresh": stepup.is_fresh(request)})


@account_required
@fresh_required
def totp(request):
    """Set up, confirm, turn off two-factor authentication; renew recovery codes."""
    account = request.account
    form = forms.OtpForm(request.POST or None)
    status = 200
    codes = None
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "disable":
                services.disable_totp(account=account)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("accounts:security")
            if action == "recovery":
                codes = services.regenerate_recovery_codes(account=account)
            elif form.is_valid():
                codes = services.enable_totp(account=account, code=form.cleaned_data["code"])
            else:
                status = _invalid(form)
        except AccountError as exc:
            status = _refused(form, exc)
    secret = None
    if not account.totp_enabled:
        # a set-up already started is shown again; otherwise a new secret is made
        secret = vault.reveal(actor=services.actor_of(account), subject=account.subject,
                              field="totp_secret", purpose="security")
        secret = secret or services.start_totp(account=account)
    return render(request, "accounts/totp.html", {
        "form": form, "account": account, "codes": codes, "secret": secret,
        "uri": services.totp_uri(secret, account) if secret else "",
    }, status=status)


@account_required
def tokens(request):
    """Create (needs a fresh identity check) or revoke a personal access token."""
    status = 200
    form = forms.TokenForm(request.POST or None)
    if request.method == "POST" and "revoke" in request.POST:
        try:
            services.revoke_token(account=request.account,
                                  token_id=int(request.POST.get("revoke", "0") or 0))
        except (AccountError, ValueError):
            raise Http404 from None
        return redirect("accounts:security")
    if request.method == "POST":
        if not stepup.is_fresh(request):
            return redirect(f"{reverse('accounts:reauth')}?next={reverse('accounts:security')}")
        if form.is_valid():
            try:
                _token, raw = services.create_token(account=request.account,
                                                    name=form.cleaned_data["name"])
            except AccountError as exc:
                status = _refused(form, exc)
            else:
                return render(request, "accounts/token_created.html", {"token": raw})
        else:
            status = _invalid(form)
    return _form_page(request, form, title=_("New access token"), status=status,
                      submit=_("Create"),
                      intro=_("A token lets a program use the account API as you. It is shown "
                              "once."))
