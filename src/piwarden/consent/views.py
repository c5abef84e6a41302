"""Privacy-center pages: my choices, cookie management and one-click unsubscribe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from piwarden.audit.actors import Actor
from piwarden.catalog.models import Purpose, StorageCategory
from piwarden.consent import functions, links, notices, selectors, services
from piwarden.consent.models import Channel, Choice, Scope
from piwarden.subjects.models import Subject
from piwarden.web.ratelimit import client_ip

FONT_SIZES = {"normal": gettext_lazy("Normal"), "large": gettext_lazy("Large"),
              "larger": gettext_lazy("Larger")}


def _subject_of(request) -> Subject:
    account = getattr(request.user, "account", None)
    if account is None:
        raise Http404("Only account holders have privacy choices here.")
    return account.subject


@login_required
@require_http_methods(["GET", "POST"])
def choices(request):
    """The purposes that take consent, each with the person's choice and its notice (a
    separate consent opens its own notice with the agree button); below, what is processed
    without asking, as information; then the history of choices."""
    subject = _subject_of(request)
    if request.method == "POST":
        return _change(request, subject)
    lang = notices.language()
    version = services.policy_version()
    users = functions.by_purpose()
    names = {f["key"]: f["name"].get(lang) or f["name"].get("en", "")
             for f in functions.declared()}
    consents, marketing = [], []
    for row in selectors.choices_for(subject):
        item = {
            "row": row,
            "name": _purpose_name(row.purpose, lang),
            "functions": [names[k] for k in users.get(row.purpose.key, []) if k in names],
            "notice": notices.purpose_text(row.purpose, row.scope, version, lang),
            "separate": (notices.separate_notice(row.purpose, row.scope, version, lang)
                         if row.scope != Scope.GENERAL and not row.granted else None),
        }
        (marketing if row.purpose.key.startswith("marketing.") else consents).append(item)
    purpose_names = {p.key: _purpose_name(p, lang) for p in Purpose.objects.all()}
    return render(request, "consent/choices.html", {
        "consents": consents,
        "marketing": marketing,
        "informational": [
            {"name": _purpose_name(p.purpose, lang), "purpose": p.purpose,
             "categories": p.categories, "basis": p.basis,
             "retention": [notices.retention_words(code, lang) for code in p.retention]}
            for p in selectors.processing_without_consent()],
        "history": [(event, purpose_names.get(event.purpose, event.purpose))
                    for event in selectors.history(subject, limit=50)],
        "lang": lang,
        "version": version,
    })


def _purpose_name(purpose: Purpose, lang: str) -> str:
    return purpose.name_zh if lang == "zh-hans" else purpose.name_en


# What a person reads when the privacy center refuses a choice.
_REFUSALS = {
    "NOTICE_NOT_ACKNOWLEDGED": gettext_lazy(
        "A separate consent is given only after reading its own notice: open the notice "
        "and agree there."),
    "GONE": gettext_lazy("This service has ended: it takes no new consent."),
    "SUBJECT_INACTIVE": gettext_lazy("Your data is no longer processed, so no consent can be "
                                     "given."),
}


def _change(request, subject: Subject):
    purpose = request.POST.get("purpose", "")
    scope, choice = request.POST.get("scope", "general"), request.POST.get("choice", "")
    if choice not in Choice.values or scope not in Scope.values:
        messages.error(request, _("That choice is not available."))
        return redirect("consent:choices")
    try:
        services.choose(actor=Actor.person(subject), subject=subject, purpose=purpose,
                        scope=scope, choice=choice, lang=notices.language(),
                        shown=request.POST.get("notice", ""), channel=Channel.WEB,
                        ip=client_ip(request),
                        user_agent=request.headers.get("user-agent", ""))
    except services.ConsentError as exc:
        messages.error(request, _REFUSALS.get(exc.code) or _("That choice is not available."))
        return redirect("consent:choices")
    if choice == "grant":
        messages.success(request, _("Thank you: your consent is recorded."))
    else:
        messages.success(request, _("Done: from now on this purpose is not processed. "
                                    "Processing before your choice is not affected."))
    return redirect(reverse("consent:choices") + f"#{purpose}-{scope}")


@require_http_methods(["GET", "POST"])
def cookies(request):
    """The cookie inventory, a way to change the banner choice, clear storage, and text size."""
    response = None
    if request.method == "POST":
        size = request.POST.get("font_size", "")
        response = HttpResponseRedirect(reverse("consent:cookies"))
        if size in FONT_SIZES:
            response.set_cookie("pw_prefs", f"font={size}", max_age=365 * 86400,
                                samesite="Lax", secure=request.is_secure(), httponly=True)
            messages.success(request, _("Your text size is saved."))
        return response
    items = selectors.storage_items()
    lang = notices.language()
    return render(request, "consent/cookies.html", {
        "categories": [(c, notices.BANNER_CATEGORIES[c][lang], items[c])
                       for c in StorageCategory.values],
        "zh": lang == "zh-hans",
        "font_sizes": list(FONT_SIZES.items()),
        "font_size": request.COOKIES.get("pw_prefs", "font=normal").removeprefix("font="),
    })


@csrf_exempt  # the signed token is the credential; mail clients POST without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows one button (link scanners must not unsubscribe anyone); POST withdraws.
    RFC 8058 one-click: mail clients POST ``List-Unsubscribe=One-Click`` to the same URL."""
    found = links.read_token(token)
    subject = found and Subject.objects.filter(pk=found[0]).first()
    purpose = found and Purpose.objects.filter(key=found[1], retired=False).first()
    if not subject or not purpose:  # forged, or the person or the purpose is gone
        return render(request, "consent/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        text = notices.purpose_text(purpose, "general", services.policy_version())
        services.withdraw(actor=Actor.person(subject), subject=subject, purpose=purpose.key,
                          notice_text=text, channel=Channel.LINK, ip=client_ip(request),
                          user_agent=request.headers.get("user-agent", ""))
        return render(request, "consent/unsubscribe.html", {"done": True, "purpose": purpose})
    return render(request, "consent/unsubscribe.html", {"purpose": purpose})
