"""Fixtures of the incidents tests: a settable clock, incidents with every Art. 57 element."""

import datetime
import zoneinfo

import pytest

from piwarden.audit.actors import Actor

CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")
ELEMENTS = {
    "cause": "API 密钥 K 被误提交到公开代码仓库。", "cause_en": "API key K was pushed to a public "
    "code repository.",
    "possible_harm": "联系方式可能被用于诈骗。", "possible_harm_en": "Contact details may be used "
    "for fraud.",
    "measures_taken": "已吊销密钥并轮换全部凭据。", "measures_taken_en": "The key was revoked "
    "and every credential rotated.",
    "advice": "请警惕冒充我们的来电和短信。", "advice_en": "Be wary of calls and texts that "
    "claim to come from us.",
    "remedies": "可向我们申请查阅、更正或删除，并可向网信部门投诉。", "remedies_en": "You may ask "
    "us to access, correct or delete your data, and complain to the CAC.",
    "contact": "privacy@example.cn，400-000-0000", "contact_en": "privacy@example.cn, "
    "+86 400 000 0000",
}


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A time on 2026-03-<day>, China time."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=CHINA)


@pytest.fixture
def clock(monkeypatch):
    """``timezone.now()`` answers what the test sets (``clock.set(at(1, 10))``)."""
    from django.utils import timezone

    class Clock:
        now = timezone.now()

        def set(self, value):
            self.now = value

    current = Clock()
    monkeypatch.setattr(timezone, "now", lambda: current.now)
    return current


@pytest.fixture
def officer():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("officer", "officer@operator.test", "x",
                                                is_staff=True)
    return Actor.staff(user)


@pytest.fixture
def make_incident(officer):
    from piwarden.incidents import services

    def make(**overrides):
        values = {"title": "API key K leaked", "severity": "serious",
                  "principal_kind": "api_client", "principal_id": "1",
                  "detected_at": at(1, 14, 30), "occurred_from": at(1, 10),
                  "occurred_to": at(1, 14), **ELEMENTS, **overrides}
        return services.create_incident(actor=officer, **values)
    return make
