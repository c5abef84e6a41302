# ruff: noqa: F811  (the notify, outbox and sharing fixtures are imported, then asked for by name)
"""Fixtures of the corporate-transaction tests: the catalog naming the new holder, its flow
made active through the real steps, a published policy version, people with accounts and
contacts, and the notify job run synchronously (as tests/notify do)."""

import pytest
from django.db import transaction

from piwarden.catalog.services import load_catalog
from piwarden.transactions import services
from tests.notify.conftest import make_person, staff_actors  # noqa: F401  (fixtures)
from tests.outbox.conftest import (  # noqa: F401  (fixtures)
    _smtp_controller,
    immediate_tasks,
    sms_file,
    smtp,
)
from tests.sharing.conftest import (  # noqa: F401  (fixtures)
    NAMED,
    _sharing_dir,
    activate,
    registry_synced,
    write_named_catalog,
)

ACQUIRER = {
    "legal_name": "Example Acquirer (Shanghai) Co., Ltd.", "status": "active", "country": "CN",
    "contact": "privacy@acquirer.example.cn", "uscc": "91310000MA1FL00157",
    "hosts": ["127.0.0.1"],
    "categories": ["user.name", "user.contact", "user.account.id"],
    "purposes": ["transfer.corporate"]}
EVENT = {"zh-hans": "本公司将与示例收购方合并。", "en": "We merge with Example Acquirer."}


@pytest.fixture
def named_catalog(db, system_actor, tmp_path, fresh_caches):
    """The shipped catalog with the sharing tests' recipients and the new holder named."""
    path = write_named_catalog(tmp_path / "named.yaml",
                               {**NAMED, "third_party.acquirer": ACQUIRER})
    return load_catalog(actor=system_actor, path=path)


@pytest.fixture
def policy_version(named_catalog, system_actor):
    from piwarden.policy import services as policy

    draft = policy.create_draft(actor=system_actor)
    return policy.publish(actor=system_actor, version=draft.version)


@pytest.fixture
def acquirer_flow(activate, policy_version):
    """The flow to the new holder, active (the outbox's processor too, for e-mail egress)."""
    activate("sharing.processors", "partner.business")
    return activate("transfer.corporate_transaction", "third_party.acquirer")


@pytest.fixture
def make_transaction(acquirer_flow, staff_actors):
    def make(people=None, *, categories=("user.name", "user.contact"), **extra):
        listed = people is not None
        with transaction.atomic():
            return services.create_transaction(
                actor=staff_actors[0], title=extra.pop("title", "Merger with Example"),
                kind=extra.pop("kind", "merger"), parties="Intron; Example Acquirer",
                categories=list(categories), audience="listed" if listed else "all_accounts",
                subject_ids=[str(p.pk) for p in people or []], **extra)
    return make


@pytest.fixture
def notify_all(request, staff_actors, django_capture_on_commit_callbacks):
    """Draft, start and run the transaction's notices to the end (the job runs at commit)."""
    request.getfixturevalue("immediate_tasks")
    request.getfixturevalue("smtp")
    request.getfixturevalue("sms_file")

    def run(tx, channels=("email", "sms", "site")):
        with transaction.atomic():
            services.draft_notices(actor=staff_actors[0], transaction=tx, event=EVENT,
                                   channels=channels)
        with django_capture_on_commit_callbacks(execute=True):
            services.start_notices(actor=staff_actors[0], transaction=tx)
        tx.refresh_from_db()
        return tx
    return run


@pytest.fixture
def undertaken(staff_actors):
    from django.utils import timezone

    def record(tx):
        with transaction.atomic():
            return services.record_undertaking(actor=staff_actors[0], transaction=tx,
                                               reference="UND-2026-001",
                                               signed_on=timezone.localdate())
    return record
