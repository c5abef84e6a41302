"""Small builders for the campaigns tests."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.campaigns import services
from piwarden.campaigns.models import Campaign
from piwarden.consent import services as consent

SCAN_SECRET = b"SIGNED-BY-WANG-FANG-13700137000"
PASSWORD = "lantern-orchard-ferry"


def scan_file(body: bytes = SCAN_SECRET, name="form.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body + b"\n%%EOF", "application/pdf")


def campaign(*, days_left=3, started_days_ago=1, partner="partner.campaign_staff") -> Campaign:
    today = timezone.localdate()
    return services.save_campaign(actor=Actor.system("tests"), campaign=Campaign(
        name="Shenzhen expo", location="Futian", partner=partner,
        starts_on=today - datetime.timedelta(days=started_days_ago),
        ends_on=today + datetime.timedelta(days=days_left)))


def entry(camp, *, phone="13700137000", email="wang.fang@example.cn", name="王芳",
          recorded_by=None, **extra):
    values = services.EntryValues(name=name, title="Ms", phone=phone, email=email,
                                  occupation="Automotive engineer")
    return services.record_entry(
        actor=Actor.system("tests"), campaign=camp, recorded_by=recorded_by, via="console",
        values=values, notice_version=consent.policy_version(), scan=scan_file(), **extra)
