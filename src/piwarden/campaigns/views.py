"""Pages: the partner staff's login and "add an entry" page, and the person's "My records".

A partner's staff member can only open the add page of their own campaign while it runs; no
page lists, shows or exports entries to them. Account holders see the leads and campaign
entries recorded with their verified phone number or e-mail address, claim them, and then
view, correct and delete them.
"""

from django.contrib import auth as django_auth
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from piwarden.accounts import selectors as accounts
from piwarden.accounts.views import account_required, fresh_required
from piwarden.audit.actors import Actor
from piwarden.campaigns import selectors, services
from piwarden.campaigns.forms import CorrectForm, EntryForm, PartnerLoginForm
from piwarden.campaigns.models import Campaign, CampaignAccess, EntryVia
from piwarden.consent import services as consent
from piwarden.consent.notices import NoticeVersionError
from piwarden.leads import selectors as lead_selectors
from piwarden.leads import services as leads
from piwarden.vault import services as vault
from piwarden.web.ratelimit import allow, client_ip


@never_cache
@sensitive_post_parameters("password")
def partner_login(request):
    form = PartnerLoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not allow("campaigns.login", client_ip(request), limit=10, window=300):
            form.add_error(None, _("Too many attempts. Please wait a few minutes."))
            status = 429
        elif form.is_valid():
            user = django_auth.authenticate(request, username=form.cleaned_data["username"],
                                            password=form.cleaned_data["password"])
            access = (CampaignAccess.objects.filter(user=user).select_related("campaign")
                      .first() if user is not None else None)
            if access is not None and access.is_valid():
                django_auth.login(request, user)
                return redirect("campaigns:new_entry", campaign_id=access.campaign_id)
            form.add_error(None, _("Wrong user name or password, or the campaign access has "
                                   "ended."))
            status = 403
    return render(request, "campaigns/login.html", {"form": form}, status=status)


@require_POST
def partner_logout(request):
    django_auth.logout(request)
    return redirect("campaigns:login")


@never_cache
@sensitive_post_parameters("name", "title", "phone", "email", "occupation")
def new_entry(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('campaigns:login')}?next={request.path}")
    if not services.may_add_entries(request.user, campaign):
        return render(request, "campaigns/no_access.html", status=403)
    form = EntryForm(request.POST or None, request.FILES or None,
                     initial={"notice_version": consent.policy_version()})
    status, error_code = 200, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_entry(
                actor=Actor.staff(request.user), campaign=campaign, recorded_by=request.user,
                via=EntryVia.CONSOLE if request.user.is_staff else EntryVia.PARTNER,
                values=services.EntryValues(**{k: data[k] for k in
                                               ("name", "title", "phone", "email",
                                                "occupation")}),
                notice_version=data["notice_version"], scan=data["scan"],
                lang=translation.get_language())
        except NoticeVersionError as exc:
            form.add_error("notice_version", exc.message)
            status, error_code = exc.status, exc.code
        except services.CampaignError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status, error_code = exc.status, exc.code
        else:
            messages.success(request, _("The entry was recorded."))
            return redirect("campaigns:new_entry", campaign_id=campaign.pk)
    elif request.method == "POST":
        status, error_code = 400, "VALIDATION_ERROR"
    return render(request, "campaigns/new_entry.html", {
        "form": form, "campaign": campaign, "error_code": error_code,
        "notice": services.notice_text(consent.policy_version(), translation.get_language()),
    }, status=status)


LABELS = {"name": pgettext_lazy("person", "Name"),
          "title": gettext_lazy("Title or form of address"),
          "phone": gettext_lazy("Phone number"), "email": gettext_lazy("E-mail"),
          "occupation": gettext_lazy("Occupational background"),
          "message": gettext_lazy("Message")}


# --- the person's records ----------------------------------------------------------------------

def _masks(subject, fields) -> dict:
    return {key: vault.masked(subject, field) for field, (_c, key) in fields.items()}


@account_required
def mine(request):
    account = request.account
    ids = accounts.matching_subject_ids(account)
    if request.method == "POST":
        claimed = (leads.claim(account=account, lead_ids=request.POST.getlist("lead"))
                   + services.claim(account=account, entry_ids=request.POST.getlist("entry")))
        messages.success(request, _("%(count)d record(s) are now in your account.")
                         % {"count": claimed})
        return redirect("campaigns:mine")
    lead_fields = {f: v for f, v in leads.FIELDS.items() if f != "leads_message"}
    context = {
        "claimable_leads": [(lead, _masks(lead.subject, lead_fields))
                            for lead in lead_selectors.claimable(account, ids)
                            .select_related("subject")],
        "claimable_entries": [(entry, _masks(entry.subject, services.FIELDS))
                              for entry in selectors.claimable(account, ids)
                              .select_related("subject", "campaign")],
        "leads": [(lead, _masks(lead.subject, lead_fields))
                  for lead in lead_selectors.held_by(account.subject)],
        "entries": [(entry, _masks(entry.subject, services.FIELDS))
                    for entry in selectors.held_by(account.subject)],
    }
    return render(request, "campaigns/mine.html", context)


def _owned(request, kind: str, record_id):
    owner = request.account.subject
    if kind == "lead":
        return lead_selectors.held_by(owner).filter(claimed_by=owner, pk=record_id).first()
    if kind == "entry":
        return selectors.held_by(owner).filter(claimed_by=owner, pk=record_id).first()
    return None


@account_required
@fresh_required
@sensitive_post_parameters("value")
def record_detail(request, kind: str, record_id):
    record = _owned(request, kind, record_id)
    if record is None:
        raise Http404
    owner = request.account.subject
    status, error_code = 200, ""
    if request.method == "POST":
        if request.POST.get("delete"):
            if kind == "lead":
                leads.delete_claimed(owner=owner, lead=record)
            else:
                services.delete_claimed(owner=owner, entry=record)
            messages.success(request, _("The record was deleted."))
            return redirect("campaigns:mine")
        form = CorrectForm(request.POST)
        if form.is_valid():
            key, value = form.cleaned_data["key"], form.cleaned_data["value"]
            try:
                if kind == "lead":
                    leads.correct(owner=owner, lead=record, key=key, value=value)
                else:
                    services.correct(owner=owner, entry=record, key=key, value=value)
            except (leads.LeadError, services.CampaignError) as exc:
                messages.error(request, exc.message)
                status, error_code = exc.status, exc.code
            else:
                messages.success(request, _("Saved."))
                return redirect("campaigns:record", kind=kind, record_id=record.pk)
    if kind == "lead":
        values = leads.owner_values(owner=owner, lead=record)
        editable = ("phone", "email", "name")
    else:
        values = services.owner_values(owner=owner, entry=record)
        editable = tuple(values)
    rows = [(key, LABELS[key], value, key in editable) for key, value in values.items()]
    return render(request, "campaigns/record.html", {
        "kind": kind, "record": record, "rows": rows,
        "error_code": error_code}, status=status)

