"""The public policy pages: the version in force, each archived version, its diff, the list.

Only published versions are shown; a draft is staff business (the admin). Dates are shown in
China time (the project's TIME_ZONE).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from piwarden.audit.actors import Actor
from piwarden.policy import render as texts
from piwarden.policy import selectors, services
from piwarden.policy.models import PolicyVersion, Status


def _published(version: str) -> PolicyVersion:
    found = (PolicyVersion.objects.filter(version=version, status=Status.PUBLISHED)
             .select_related("previous").first())
    if found is None:
        raise Http404("No such published policy version.")
    return found


def _page(request, version: PolicyVersion | None, *, archived: bool):
    current = selectors.current()
    context = {"version": version, "current": current, "archived": archived,
               "policy": texts.policy(version.snapshot) if version else None}
    account = _account(request)
    if version is not None and account is not None:
        accepted = selectors.accepted_version(account.subject)
        context["accepted"] = accepted
        context["ask_agreement"] = (not archived and bool(version.reconsent_campaign)
                                    and accepted != version)
        context["changes"] = texts.changes(version.classification)
    return render(request, "policy/policy.html", context, status=200 if version else 404)


def _account(request):
    user = request.user
    return getattr(user, "account", None) if user.is_authenticated and user.is_active else None


@require_http_methods(["GET", "POST"])
def current(request):
    """The version in force; a signed-in person on earlier terms agrees to it here (POST)."""
    version = selectors.current()
    if request.method == "POST":
        account = _account(request)
        if account is None:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        if version is not None:
            actor = Actor.person(account.subject)
            services.accept(actor=actor, subject=account.subject, version=version,
                            how="reconsent")
            _read(actor, account.subject, version)
            messages.success(request, _("Thank you: your agreement to this version is "
                                        "recorded."))
        return redirect("policy:current")
    return _page(request, version, archived=False)


def _read(actor, subject, version) -> None:
    """Agreeing answers the re-consent notice: it stops asking at each page view."""
    from piwarden.notify import services as notify
    from piwarden.notify.models import Delivery

    for delivery in Delivery.objects.filter(campaign_id=version.reconsent_campaign or None,
                                            subject=subject, acknowledged_at__isnull=True):
        notify.acknowledge(actor=actor, delivery=delivery)


@require_GET
def version(request, version: str):
    return _page(request, _published(version), archived=True)


@require_GET
def diff(request, version: str):
    found = _published(version)
    return render(request, "policy/diff.html", {
        "version": found, "previous": found.previous,
        "changes": texts.changes(found.classification),
        "major": texts.major_names(found.classification.get("major", []), texts.language()),
        "reductions": bool(found.classification.get("reductions")),
    })


@require_GET
def versions(request):
    return render(request, "policy/versions.html", {
        "versions": selectors.published(), "current": selectors.current()})
