"""Campaigns tests: a clean rate-limit cache, media in a temporary folder, and the accounts
fixtures for claiming."""

import pytest
from django.core.cache import cache

from tests.accounts.conftest import (  # noqa: F401  (fixtures)
    account,
    account_settings,
    client_for,
    inbox,
    make_account,
    sms,
    smtp_server,
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    cache.clear()
    settings.PIWARDEN_LEADS_MIN_FILL_SECONDS = 0
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
