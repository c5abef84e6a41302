"""unknown_keys (the audit trail's catalog check) and the home-page summary."""

import pytest
from django.db import transaction

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog import selectors
from piwarden.catalog.models import CatalogRelease, DataCategory, Grade
from piwarden.catalog.services import load_catalog

pytestmark = pytest.mark.django_db


def test_empty_input_costs_no_query(django_assert_num_queries):
    """The audit trail calls it for every record; nothing to check means no query at all."""
    with django_assert_num_queries(0):
        assert selectors.unknown_keys() == {}
        assert selectors.unknown_keys(categories=[], purposes=(), legal_bases=[]) == {}


def test_known_keys_are_cached_per_process(shipped, django_assert_num_queries):
    """The first call reads the key sets once; later hits cost no query."""
    keys = {"categories": ["user.contact.email"], "purposes": ["marketing.email"],
            "legal_bases": ["consent"]}
    with django_assert_num_queries(3):
        assert selectors.unknown_keys(**keys) == {}
    with django_assert_num_queries(0):
        assert selectors.unknown_keys(**keys) == {}


def test_unknown_keys_are_listed_by_kind(shipped):
    """Only the unknown ones come back, sorted, under their kind."""
    assert selectors.unknown_keys(
        categories=["user.wechat_id", "user.name", "a.b"], purposes=["security"],
        legal_bases=["legitimate_interest"],
    ) == {"categories": ["a.b", "user.wechat_id"], "legal_bases": ["legitimate_interest"]}


def test_a_miss_refreshes_the_cache(shipped):
    """A key added by a load in another process is found: a miss re-reads the keys."""
    assert selectors.unknown_keys(categories=["user.name"]) == {}  # cache primed
    DataCategory.objects.create(key="user.wechat_id", name_en="WeChat ID", name_zh="微信号",
                                grade=Grade.PERSONAL, parent=DataCategory.objects.get(key="user"))
    assert selectors.unknown_keys(categories=["user.wechat_id"]) == {}


def test_retired_keys_are_unknown(shipped):
    """Retired entries keep their rows but are no longer valid for new records."""
    DataCategory.objects.filter(key="user.survey").update(retired=True)
    selectors.clear_cache()
    assert selectors.unknown_keys(categories=["user.survey"]) == {"categories": ["user.survey"]}


def test_audit_record_refuses_an_uncatalogued_category(shipped):
    """The contract the audit trail relies on: uncatalogued keys stop the write."""
    with transaction.atomic(), pytest.raises(audit.AuditError, match=r"user\.wechat_id"):
        audit.record(actor=Actor.system("tests"), action="profile.changed",
                     categories=["user.wechat_id"], purpose="account.profile_edit")


def test_summary_before_and_after_a_load(db):
    """No release yet: None; after a load: the release's short SHA and the counts."""
    CatalogRelease.objects.all().delete()  # in case the session already loaded the catalog
    empty = selectors.summary()
    assert empty["release"] is None and empty["loaded_at"] is None
    release = load_catalog(actor=Actor.system("tests"))
    summary = selectors.summary()
    assert summary["release"] == release.sha256[:12]
    assert summary["loaded_at"] == release.loaded_at
    assert summary["sensitive_categories"] == DataCategory.objects.filter(
        grade=Grade.SENSITIVE).count()
    assert set(summary) == {"release", "loaded_at", "categories", "sensitive_categories",
                            "purposes", "legal_bases", "activities", "systems", "recipients"}
