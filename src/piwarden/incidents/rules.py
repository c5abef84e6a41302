"""Reporting deadlines per severity, as data (configurable defaults, not legal advice).

Defaults from the National Cybersecurity Incident Reporting Measures (国家网络安全事件报告管理
办法, eff. 2025-11-01, Art. 4): an incident of level 较大 or above is reported to the
provincial cyberspace administration within 4 hours ("operator"); a critical information
infrastructure operator reports to its protection department and the public security organ
within 1 hour ("cii"). The Measures set no clock for 一般; PIPL Art. 57 still asks for a
report "immediately", so the default is 24 hours. An operator picks a set with
``PIWARDEN_INCIDENT_RULE_SET`` or replaces the hours with ``PIWARDEN_INCIDENT_RULES``
(``{"major": 2, ...}``); the due time is computed once, at detection, and kept on the incident.
"""

import datetime

from django.conf import settings

from piwarden.incidents.models import Severity

RULE_SETS: dict[str, dict[str, int]] = {
    "operator": {Severity.EXTRAORDINARY: 4, Severity.MAJOR: 4, Severity.SERIOUS: 4,
                 Severity.GENERAL: 24},
    "cii": {Severity.EXTRAORDINARY: 1, Severity.MAJOR: 1, Severity.SERIOUS: 1,
            Severity.GENERAL: 24},
}
DRILL_MAX_AGE_DAYS = 365  # GB/T 35273 10.1: drills at least once a year
PROGRESS_EVERY_DAYS = 7


def rule_set() -> str:
    return getattr(settings, "PIWARDEN_INCIDENT_RULE_SET", "operator")


def hours(severity: str) -> int:
    """The hours allowed to report an incident of this severity under the configured rules."""
    table = {**RULE_SETS[rule_set()], **getattr(settings, "PIWARDEN_INCIDENT_RULES", {})}
    return int(table[severity])


def report_due(severity: str, detected_at: datetime.datetime) -> datetime.datetime:
    return detected_at + datetime.timedelta(hours=hours(severity))


def progress_every_days() -> int:
    return int(getattr(settings, "PIWARDEN_INCIDENT_PROGRESS_DAYS", PROGRESS_EVERY_DAYS))


def drill_max_age_days() -> int:
    return int(getattr(settings, "PIWARDEN_INCIDENT_DRILL_DAYS", DRILL_MAX_AGE_DAYS))
