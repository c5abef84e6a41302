"""Sites and services: the seed, handler bindings (D-1.1) and discontinuation (R-6.6)."""

import datetime

import pytest
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.jobs.models import Job
from piwarden.notify.models import Campaign
from piwarden.sites import period, services
from piwarden.sites.errors import SitesError
from piwarden.sites.models import Offering, OfferingStatus, Site
from tests.sites.conftest import in_days, offering

pytestmark = pytest.mark.django_db


def test_the_catalog_load_seeds_the_default_site_with_one_service_per_function(system_actor):
    site = Site.objects.get(domain="127.0.0.1")
    assert site.default_handler and site.has_handler
    functions = set(site.offerings.values_list("function", flat=True))
    assert {"newsletter", "nearby_service", "callback", "invoicing"} <= functions
    assert all(o.status == OfferingStatus.ACTIVE and o.default_handler
               for o in site.offerings.all())
    before = AuditEvent.objects.count()
    assert services.sync(actor=system_actor) == {"sites": 0, "offerings": 0,
                                                 "policy_bound": 0}
    assert AuditEvent.objects.count() == before  # a reload changes nothing


def test_sync_binds_the_site_to_the_policy_in_force(system_actor, published):
    Site.objects.update(policy_version=None)
    assert services.sync(actor=system_actor)["policy_bound"] == 1
    assert Site.objects.get(domain="127.0.0.1").policy_version == published


def test_d_1_1_publishing_a_product_without_a_handler_binding_is_blocked(system_actor):
    shop = Site.objects.create(domain="shop.example.cn", name_en="Shop", name_zh="商城")
    draft = services.add_offering(actor=system_actor, site=shop, function="newsletter")
    with pytest.raises(SitesError) as refused:
        services.publish(actor=system_actor, offering=draft)
    assert (refused.value.code, refused.value.status) == ("HANDLER_REQUIRED", 409)
    assert Offering.objects.get(pk=draft.pk).status == OfferingStatus.DRAFT
    services.bind_handler(actor=system_actor, target=draft, counterparty=None)
    assert services.publish(actor=system_actor, offering=draft).status == OfferingStatus.ACTIVE
    assert AuditEvent.objects.filter(action="sites.offering_published").exists()


def test_r_6_6_an_end_date_10_days_after_the_notice_is_refused(system_actor):
    item = offering("nearby_service")
    with pytest.raises(SitesError) as refused:
        services.sunset(actor=system_actor, offering=item, end_date=in_days(10))
    assert (refused.value.code, refused.value.status) == ("END_DATE_TOO_EARLY", 422)
    item.refresh_from_db()
    assert item.status == OfferingStatus.ACTIVE and not item.campaign
    assert not Campaign.objects.filter(kind="discontinuation").exists()


def test_r_6_6_the_end_date_counts_whole_days_from_the_notice(settings):
    notice = datetime.datetime(2026, 12, 1, 1, 0, tzinfo=datetime.UTC)  # 09:00 China time
    assert period.earliest_end_date(notice) == datetime.date(2026, 12, 17)
    settings.PIWARDEN_SUNSET_NOTICE_DAYS = 5  # never below the policy's 15 days
    assert period.notice_days() == 15
    settings.PIWARDEN_SUNSET_NOTICE_DAYS = 30
    assert period.earliest_end_date(notice) == datetime.date(2027, 1, 1)


def test_r_6_6_a_notice_cannot_be_backdated(system_actor):
    with pytest.raises(SitesError) as refused:
        services.sunset(actor=system_actor, offering=offering("surveys"), end_date=in_days(30),
                        notice_at=timezone.now() - datetime.timedelta(days=10))
    assert refused.value.code == "NOTICE_BACKDATED"


def test_r_6_6_sunset_sends_the_notice_through_the_engine_to_the_service_users(
        system_actor, make_person):
    from piwarden.accounts.models import ServiceActivation
    from piwarden.notify import audiences

    user, other = make_person(), make_person()
    ServiceActivation.objects.create(account=user.account, service="newsletter")
    item = services.sunset(actor=system_actor, offering=offering("newsletter"),
                           end_date=in_days(16))
    assert item.status == OfferingStatus.SUNSETTING and item.notice_published_at
    campaign = Campaign.objects.get(pk=item.campaign)
    assert campaign.kind == "discontinuation" and campaign.template == "discontinuation"
    assert set(campaign.channels) == {"site", "email", "announcement"}
    assert campaign.status == "sending" and campaign.concerns_id == str(item.pk)
    assert campaign.fields["zh-hans"]["service_name"] == "电子邮件产品资讯"
    assert "marketing" not in campaign.fields["en"]["data_fate"]  # no internal code shown
    people = set(audiences.resolve("sites.offering_users", {"function": "newsletter"}))
    assert user.pk in people and other.pk not in people
    assert Job.objects.filter(dedupe_key=f"notify.run:{campaign.pk}").exists()


def test_r_6_6_a_later_notice_is_started_by_the_recurring_step(system_actor):
    notice_at = timezone.now() + datetime.timedelta(days=2)
    item = services.sunset(actor=system_actor, offering=offering("surveys"),
                           end_date=in_days(20), notice_at=notice_at)
    assert item.notice_published_at is None
    assert services.run_due(actor=system_actor)["notices_started"] == []
    Offering.objects.filter(pk=item.pk).update(notice_at=timezone.now())
    assert services.run_due(actor=system_actor)["notices_started"] == [item.pk]
    assert Offering.objects.get(pk=item.pk).notice_published_at is not None


def test_the_end_waits_for_the_end_date_then_queues_the_clean_up(system_actor):
    item = services.sunset(actor=system_actor, offering=offering("surveys"),
                           end_date=in_days(16))
    assert services.run_due(actor=system_actor)["ended"] == []
    later = item.ends_at + datetime.timedelta(minutes=1)
    assert services.run_due(actor=system_actor, now=later)["ended"] == [item.pk]
    assert Offering.objects.get(pk=item.pk).status == OfferingStatus.ENDED
    assert Job.objects.filter(dedupe_key=f"sites.clean_up:{item.pk}").exists()
    with pytest.raises(SitesError):
        services.sunset(actor=Actor.system("again"), offering=item, end_date=in_days(40))
