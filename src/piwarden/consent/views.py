"""Privacy-center pages: my choices, cookie management and one-click unsubscribe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from piwarden.audit.actors import Actor
from piwarden.catalog.models import Purpose, StorageCategory
from piwarden.consent import functions, links, notices, selectors, services
from piwarden.consent.models import Channel, Choice, Scope
from piwarden.subjects.models import Subject
from piwarden.web.ratelimit import client_ip

FONT_SIZES = ("normal", "large", "larger")


def _subject_of(request) -> Subject:
    account = getattr(request.user, "account", None)
    if account is None:
        raise Http404("Only account holders have privacy choices here.")
    return account.subject


@login_required
@require_http_methods(["GET", "POST"])
def choices(request):
    """Every purpose that takes consent, with a grant or withdraw button each (two clicks
    from the account page: the link there, then the button)."""
    subject = _subject_of(request)
    if request.method == "POST":
        return _change(request, subject)
    lang = notices.language()
    rows = selectors.choices_for(subject)
    users = functions.by_purpose()
    names = {f["key"]: f["name"][lang] for f in functions.declared()}
    return render(request, "consent/choices.html", {
        "rows": [(row, [names[k] for k in users.get(row.purpose.key, [])]) for row in rows],
        "history": selectors.history(subject, limit=50),
        "lang": lang,
        "version": services.policy_version(),
        "pending": [row for row in rows if row.state is None],
    })


def _change(request, subject: Subject):
    purpose = Purpose.objects.filter(key=request.POST.get("purpose", ""), retired=False).first()
    scope, choice = request.POST.get("scope", "general"), request.POST.get("choice", "")
    if purpose is None or choice not in Choice.values or scope not in Scope.values:
        messages.error(request, _("That choice is not available."))
        return redirect("consent:choices")
    text = notices.purpose_text(purpose, scope, services.policy_version())
    try:
        services.record(actor=Actor.person(subject), subject=subject, purpose=purpose.key,
                        choice=choice, scope=scope, notice_text=text, channel=Channel.WEB,
                        ip=client_ip(request),
                        user_agent=request.headers.get("user-agent", ""))
    except services.ConsentError as exc:
        messages.error(request, str(exc))
        return redirect("consent:choices")
    if choice == "grant":
        messages.success(request, _("Thank you: your consent is recorded."))
    else:
        messages.success(request, _("Done: from now on this purpose is not processed. "
                                    "Processing before your choice is not affected."))
    return redirect(reverse("consent:choices") + f"#{purpose.key}-{scope}")


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
        "font_sizes": FONT_SIZES,
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
