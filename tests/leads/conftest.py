"""Leads tests: a clean rate-limit cache, and the accounts fixtures for claiming."""

import pytest

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
def _no_minimum_fill_time(settings):
    settings.PIWARDEN_LEADS_MIN_FILL_SECONDS = 0
