"""The privacy-center page "Who receives your data" (S-4.1.1a, S-4.1.1d, R-6.1).

Two sections: the companies that may receive the person's data only with a consent of their
own (one card each, with its own grant or withdraw button: never pre-ticked, never bundled),
and the register of every provision made, grouped by recipient, with provisions the law keeps
confidential withheld and counted. What the page says comes from ``labels``; the choice is
checked by ``forms`` and recorded by the consent ledger's service.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from piwarden.accounts.views import account_required
from piwarden.consent import services as consent
from piwarden.consent.models import Channel
from piwarden.sharing import labels
from piwarden.sharing.forms import RecipientConsentForm
from piwarden.web.ratelimit import client_ip


@account_required
@require_http_methods(["GET", "POST"])
def index(request):
    subject = request.account.subject
    lang = labels.language()
    if request.method == "POST":
        return _choose(request, subject, lang)
    groups, withheld = labels.received(subject, lang)
    return render(request, "sharing/index.html", {
        "offers": labels.offers(subject, lang), "groups": groups, "withheld": withheld,
        "version": consent.policy_version()})


def _choose(request, subject, lang: str):
    form = RecipientConsentForm(request.POST, subject=subject, lang=lang)
    if not form.is_valid():
        messages.error(request, form.refusal()[2])
        return redirect("sharing:index")
    try:
        form.save(channel=Channel.WEB, ip=client_ip(request),
                  user_agent=request.headers.get("user-agent", ""))
    except consent.ConsentError as exc:
        messages.error(request, str(exc))
        return redirect("sharing:index")
    name = form.offer.company.name
    if form.cleaned_data["choice"] == "grant":
        messages.success(request, _("Thank you: your consent to %(name)s is recorded.")
                         % {"name": name})
    else:
        messages.success(request, _("Done: from now on your data is not provided to %(name)s. "
                                    "Provision before your choice is not affected.")
                         % {"name": name})
    return redirect(reverse("sharing:index") + f"#flow-{form.offer.flow.pk}")
