"""Campaigns tests: the leads tests' fixtures (a clean rate-limit cache, the accounts fixtures
for claiming), and media in a temporary folder."""

import pytest

from tests.leads.conftest import (  # noqa: F401  (fixtures)
    _no_minimum_fill_time,
    account,
    account_settings,
    client_for,
    inbox,
    make_account,
    sms,
    smtp_server,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
