"""The public list of services and who provides each (D-1.1), with the ones ending soon."""

from django.shortcuts import render

from piwarden.consent.notices import language
from piwarden.sites import selectors
from piwarden.sites.models import OfferingStatus


def index(request):
    lang = language()
    default = selectors.default_handler()
    sites = []
    for site in selectors.public_sites():
        rows = []
        for offering in site.offerings.all():
            handler = selectors.handler_for_function(offering.function)
            rows.append({
                "name": offering.name_zh if lang == "zh-hans" else offering.name_en,
                "handler": handler.name(lang), "contact": handler.contact,
                "ending": offering.status == OfferingStatus.SUNSETTING, "end_date":
                offering.end_date})
        sites.append({"site": site, "name": site.name_zh if lang == "zh-hans" else site.name_en,
                      "services": rows})
    return render(request, "sites/index.html", {"sites": sites, "default": default,
                                                "lang": lang})
