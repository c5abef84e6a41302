"""The person's notices: /privacy/messages/ lists them, and each one that asks for it is
acknowledged with "I have read this" (POST, CSRF; someone else's notice answers 404)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from piwarden.accounts.views import account_required
from piwarden.audit.actors import Actor
from piwarden.notify import pages, selectors, services
from piwarden.notify.models import Delivery


@account_required
@require_GET
def index(request):
    rows = [pages.shown(d) for d in selectors.messages_of(request.account.subject)]
    return render(request, "notify/messages.html", {"rows": rows})


@account_required
@require_POST
def acknowledge(request, delivery_id: int):
    subject = request.account.subject
    delivery = Delivery.objects.filter(pk=delivery_id, subject=subject).first()
    if delivery is None:
        raise Http404
    services.acknowledge(actor=Actor.person(subject), delivery=delivery)
    messages.success(request, _("Thank you: your acknowledgement is recorded."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    return redirect(target or "notify:messages")
