"""Writers of sites and services: the seed after each catalog load, handler and policy
bindings, publishing, and discontinuation (R-6.6). Each writes its audit record in the same
transaction. See docs/sites.md.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.consent.models import ConsentState
from piwarden.policy import selectors as policy
from piwarden.sharing.models import Counterparty
from piwarden.sites import discontinuation, memo, ownership
from piwarden.sites.errors import SitesError
from piwarden.sites.models import Offering, OfferingStatus, Site
from piwarden.sites.period import closing_moment, earliest_end_date, notice_days
from piwarden.sites.selectors import catalog_functions

BATCH = 1000


# --- the seed and bindings --------------------------------------------------------------------

@transaction.atomic
def sync(*, actor: Actor) -> dict[str, int]:
    """Make sure the default site (PIWARDEN_SITE_URL's host) exists, run by the catalog's
    handler and bound to the policy in force, with one service per catalog function.
    Idempotent; runs after every catalog load. Existing bindings and statuses are kept."""
    counts = {"sites": 0, "offerings": 0, "policy_bound": 0}
    host = urlsplit(settings.PIWARDEN_SITE_URL).hostname or "localhost"
    site, created = Site.objects.get_or_create(domain=host, defaults={
        "name_en": "Main website", "name_zh": "主网站", "default_handler": True})
    counts["sites"] += created
    if site.policy_version_id is None:
        version = policy.current()
        if version is not None:
            site.policy_version = version
            site.save(update_fields=["policy_version"])
            counts["policy_bound"] += 1
    existing = {o.function: o for o in site.offerings.all()}
    for function in catalog_functions():
        names = {"name_en": function["name"]["en"], "name_zh": function["name"]["zh-hans"]}
        offering = existing.get(function["key"])
        if offering is None:
            Offering.objects.create(site=site, function=function["key"], default_handler=True,
                                    status=OfferingStatus.ACTIVE, changed_by=str(actor), **names)
            counts["offerings"] += 1
        elif {k: getattr(offering, k) for k in names} != names:
            Offering.objects.filter(pk=offering.pk).update(**names)
    if any(counts.values()):
        audit.record(actor=actor, action="sites.synced", obj=site, detail=counts)
        memo.changed()
    return counts


@transaction.atomic
def bind_handler(*, actor: Actor, target: Site | Offering,
                 counterparty: Counterparty | None) -> Site | Offering:
    """Name who provides a site or service: an entity of the registry, or (None) the
    catalog's handler."""
    target = type(target).objects.select_for_update().get(pk=target.pk)
    target.handler, target.default_handler = counterparty, counterparty is None
    target.save(update_fields=["handler", "default_handler"])
    audit.record(actor=actor, action="sites.handler_bound", obj=target,
                 detail={"handler": counterparty.recipient if counterparty else "catalog"})
    memo.changed()
    return target


@transaction.atomic
def bind_policy(*, actor: Actor, site: Site, version) -> Site:
    """Bind a site to a published policy version (P-1)."""
    if getattr(version, "status", "") != "published":
        raise SitesError("POLICY_NOT_PUBLISHED", _("Bind a site to a published policy "
                                                   "version."), status=409)
    site = Site.objects.select_for_update().get(pk=site.pk)
    site.policy_version = version
    site.save(update_fields=["policy_version"])
    audit.record(actor=actor, action="sites.policy_bound", obj=site,
                 detail={"version": version.version})
    return site


@transaction.atomic
def add_offering(*, actor: Actor, site: Site, function: str) -> Offering:
    """A new service of a catalog function, as a draft: it needs a handler to go live."""
    declared = {f["key"]: f for f in catalog_functions()}
    if function not in declared:
        raise SitesError("FUNCTION_UNKNOWN", _("The catalog declares no such function."),
                         status=404, field="function")
    if Offering.objects.filter(site=site, function=function).exists():
        raise SitesError("OFFERING_EXISTS", _("This site already offers that service."),
                         status=409, field="function")
    names = declared[function]["name"]
    offering = Offering.objects.create(site=site, function=function, name_en=names["en"],
                                       name_zh=names["zh-hans"], changed_by=str(actor))
    audit.record(actor=actor, action="sites.offering_added", obj=offering,
                 detail={"function": function, "site": site.domain})
    return offering


@transaction.atomic
def publish(*, actor: Actor, offering: Offering) -> Offering:
    """Put a draft service live; refused (409 ``HANDLER_REQUIRED``) without a handler
    binding (D-1.1: notices must name who actually provides it)."""
    offering = Offering.objects.select_for_update().get(pk=offering.pk)
    if offering.status != OfferingStatus.DRAFT:
        raise SitesError("NOT_DRAFT", _("Only a draft service can be published."), status=409)
    if not offering.has_handler:
        raise SitesError("HANDLER_REQUIRED", _("Bind the service to the legal entity that "
                                               "provides it before publishing it."), status=409)
    offering.status, offering.changed_by = OfferingStatus.ACTIVE, str(actor)
    offering.save(update_fields=["status", "changed_by"])
    audit.record(actor=actor, action="sites.offering_published", obj=offering,
                 detail={"function": offering.function})
    memo.changed()
    return offering


# --- discontinuation --------------------------------------------------------------------------

@transaction.atomic
def sunset(*, actor: Actor, offering: Offering, end_date: datetime.date,
           notice_at: datetime.datetime | None = None) -> Offering:
    """Announce the end of a service: refused (422 ``END_DATE_TOO_EARLY``) unless the end
    date is at least ``notice_days()`` days after the notice's publication. The notice
    campaign (site message, e-mail, home-page announcement) is created at once and started
    at ``notice_at`` (now by default; a later time is started by the recurring task)."""
    offering = Offering.objects.select_for_update().select_related("site").get(pk=offering.pk)
    unpublished = offering.status == OfferingStatus.SUNSETTING and not \
        offering.notice_published_at
    if offering.status != OfferingStatus.ACTIVE and not unpublished:
        raise SitesError("NOT_ACTIVE", _("Only a running service can be ended."), status=409)
    now = timezone.now()
    notice_at = notice_at or now
    if notice_at < now - datetime.timedelta(minutes=1):
        raise SitesError("NOTICE_BACKDATED", _("The notice period counts from when people "
                                               "are told: it cannot start in the past."),
                         field="notice_at")
    earliest = earliest_end_date(notice_at)
    if end_date < earliest:
        raise SitesError(
            "END_DATE_TOO_EARLY",
            _("The end date must be at least %(days)d days after the notice is published "
              "(%(earliest)s at the earliest).") % {"days": notice_days(),
                                                     "earliest": earliest.isoformat()},
            field="end_date", detail={"earliest": earliest.isoformat(),
                                      "notice_days": notice_days()})
    offering.status, offering.end_date = OfferingStatus.SUNSETTING, end_date
    offering.ends_at, offering.notice_at = closing_moment(end_date), notice_at
    offering.campaign = str(discontinuation.create_campaign(actor=actor, offering=offering).pk)
    offering.changed_by = str(actor)
    offering.save(update_fields=["status", "end_date", "ends_at", "notice_at", "campaign",
                                 "changed_by"])
    audit.record(actor=actor, action="sites.sunset", obj=offering, detail={
        "function": offering.function, "end_date": end_date.isoformat(),
        "notice_at": notice_at.isoformat(), "campaign": offering.campaign})
    if notice_at <= now:
        _publish_notice(actor=actor, offering=offering, now=now)
    memo.changed()
    return offering


def _publish_notice(*, actor: Actor, offering: Offering, now: datetime.datetime) -> bool:
    """Start the notice campaign; the period counts from here, so a start that comes too late
    for the end date (it waited for approval) is not made. True when it started."""
    if offering.ends_at < now + datetime.timedelta(days=notice_days()):
        offering.report = {**offering.report, "notice_error": "END_DATE_TOO_EARLY"}
        offering.save(update_fields=["report"])
        return False
    if not discontinuation.start_campaign(actor=actor, campaign_id=offering.campaign):
        return False
    offering.notice_published_at = now
    offering.save(update_fields=["notice_published_at"])
    audit.record(actor=actor, action="sites.notice_published", obj=offering,
                 detail={"function": offering.function, "campaign": offering.campaign})
    return True


@transaction.atomic
def run_due(*, actor: Actor, now: datetime.datetime | None = None) -> dict[str, list[int]]:
    """The recurring step: start notices that are due, and end the services whose end date
    has come (their clean-up job is queued in the same transaction)."""
    from piwarden.sites import tasks

    now = now or timezone.now()
    started, ended = [], []
    due = Offering.objects.select_for_update().filter(
        status=OfferingStatus.SUNSETTING, notice_published_at__isnull=True, notice_at__lte=now)
    for offering in due:
        if _publish_notice(actor=actor, offering=offering, now=now):
            started.append(offering.pk)
    closing = Offering.objects.select_for_update().filter(
        status=OfferingStatus.SUNSETTING, notice_published_at__isnull=False, ends_at__lte=now)
    for offering in closing:
        offering.status, offering.ended_at = OfferingStatus.ENDED, now
        offering.save(update_fields=["status", "ended_at"])
        tasks.enqueue_clean_up(offering.pk)
        ended.append(offering.pk)
    if started or ended:
        audit.record(actor=actor, action="sites.run_due",
                     detail={"notices_started": started, "ended": ended})
        memo.changed()
    return {"notices_started": started, "ended": ended}


def clean_up(*, actor: Actor, offering: Offering) -> dict:
    """Delete or anonymize the data kept only for an ended service (``ownership``), each kind
    through its own app's audited expiry in batches, then store the report. Safe to run again
    (it adds what is left)."""
    offering = Offering.objects.get(pk=offering.pk)
    if offering.status != OfferingStatus.ENDED:
        raise SitesError("NOT_ENDED", _("Only an ended service's data is cleaned up."),
                         status=409)
    owned = ownership.owned(offering.function)
    before = timezone.now()
    deleted, found = dict(offering.report.get("deleted") or {}), 0
    for kind in owned.kinds:
        total = 0
        while True:
            count = kind.expire(actor=actor, before=before, limit=BATCH)
            total += count
            if count < BATCH:
                break
        deleted[kind.name] = deleted.get(kind.name, 0) + total
        found += total
    if offering.report and not found:
        return offering.report  # a run again (a retried job) that found nothing left
    report = {
        "function": offering.function, "purposes": list(owned.purposes), "deleted": deleted,
        "kept_by_law": list(owned.kept),
        "consent_states_kept": ConsentState.objects.filter(purpose__in=owned.purposes).count(),
        "finished_at": timezone.now().isoformat(),
    }
    with transaction.atomic():
        Offering.objects.filter(pk=offering.pk).update(report=report)
        audit.record(actor=actor, action="sites.cleaned_up", obj=offering,
                     purpose=owned.purposes[0] if len(owned.purposes) == 1 else "",
                     detail={"deleted": deleted, "kept_by_law": list(owned.kept)})
    return report
