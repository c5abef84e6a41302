"""Fixtures for the catalog tests: the shipped catalog loaded, and small catalog files to break."""

from pathlib import Path

import pytest

from piwarden.audit.actors import Actor
from piwarden.catalog import selectors
from piwarden.catalog.services import load_catalog

# A small valid catalog. Tests break one line of it and assert the exact error for that line.
MINIMAL = """\
schema_version: 1
handler:
  legal_name: Example Co.
  contact: privacy@example.com
  country: CN
legal_bases:
  - key: consent
    name: {en: Consent, zh-hans: 同意}
    pipl_13: 1
  - key: contract
    name: {en: Contract, zh-hans: 合同}
    pipl_13: 2
  - key: exception.safe_operation
    name: {en: Safe operation, zh-hans: 安全运行}
    pipl_13: null
    only_with: [contract]
categories:
  - key: user
    name: {en: User, zh-hans: 用户}
    grade: personal
    children:
      - key: user.contact
        name: {en: Contact, zh-hans: 联系方式}
        children:
          - key: user.contact.email
            name: {en: E-mail, zh-hans: 邮箱}
      - key: user.id_info
        name: {en: ID information, zh-hans: 身份证件信息}
        grade: sensitive
      - key: user.app_list
        name: {en: App list, zh-hans: 应用列表}
        collectable: false
purposes:
  - key: marketing.email
    name: {en: E-mail marketing, zh-hans: 邮件营销}
    legal_basis: consent
    consent: consent
systems:
  - key: crm
    name: CRM
    kind: crm
    region: CN
recipients:
  - key: processor.messaging
    name: {en: Messaging, zh-hans: 消息服务}
    legal_name: null
    role: processor
    status: draft
    country: CN
processing_activities:
  - key: marketing.newsletter
    name: {en: Newsletter, zh-hans: 新闻简报}
    purpose: marketing.email
    legal_bases: [consent]
    categories: [user.contact.email]
    data_subjects: [account_holder]
    systems: [crm]
    recipients: [processor.messaging]
    retention: until_withdrawn
    storage_region: CN
"""


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the only line that is ``needle`` (ignoring indentation)."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == needle.strip()]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    """Each test starts and ends with an empty per-process key cache (rolled-back loads)."""
    selectors.clear_cache()
    yield
    selectors.clear_cache()


@pytest.fixture
def write(tmp_path):
    """Write catalog text to a file and return its path."""

    def _write(text: str, name: str = "catalog.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def shipped(db):
    """The shipped catalog, loaded."""
    return load_catalog(actor=Actor.system("tests"))
