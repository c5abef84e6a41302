"""The privacy-center page "Where your data came from" (policy §2.3): the partner records
that hold the signed-in person's verified phone number or e-mail address."""

from django.shortcuts import render

from piwarden.accounts.views import account_required
from piwarden.partners import selectors


@account_required
def sources(request):
    return render(request, "partners/sources.html",
                  {"sources": selectors.sources_for(request.account),
                   "account": request.account})
