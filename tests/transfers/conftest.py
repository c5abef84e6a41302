"""Fixtures of the cross-border transfer tests: the sharing tests' named catalog plus an
overseas recipient in Hong Kong (consent-based flow ``crossborder.overseas_transfer``) and the
storage processor in Singapore (contract-based flow ``sharing.processors``)."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from piwarden.catalog.services import load_catalog
from tests.sharing.conftest import (  # noqa: F401  (fixtures)
    NAMED,
    _sharing_dir,
    activate,
    person_with,
    registry_synced,
    write_named_catalog,
)

OVERSEAS = {
    "legal_name": "Example Overseas Services Ltd.", "status": "active", "country": "HK",
    "contact": "privacy@overseas.example.hk", "hosts": ["127.0.0.1", "overseas.example.hk"],
    "categories": ["user.name", "user.contact"], "purposes": ["crossborder.transfer"]}
NOTICE = {"notice_zh": "您可通过上方的联系方式向境外接收方行使查阅、复制、更正、删除等权利；"
                       "如对方未予答复，可联系我们协助处理。",
          "notice_en": "Use the contact above to access, copy, correct or delete your data held "
                       "by the overseas recipient; if it does not answer, contact us and we "
                       "will help."}
CONSENT_FLOW = ("crossborder.overseas_transfer", "third_party.overseas")
STORAGE_FLOW = ("sharing.processors", "processor.data_storage")


@pytest.fixture
def named_catalog(db, system_actor, tmp_path, fresh_caches):
    """The shipped catalog with the sharing tests' recipients and the overseas one named."""
    path = write_named_catalog(tmp_path / "named.yaml",
                               {**NAMED, "third_party.overseas": OVERSEAS})
    return load_catalog(actor=system_actor, path=path)


@pytest.fixture
def officer(db):
    """A staff member acting for the privacy officer (an Actor)."""
    from django.contrib.auth import get_user_model

    from piwarden.audit.actors import Actor

    user = get_user_model().objects.create_user("transfer-officer", "po@operator.test", "x",
                                                is_staff=True)
    return Actor.staff(user)


@pytest.fixture
def make_record(request, officer):
    """A transfer record for a flow (activity, recipient); valid by default: a standard
    contract in force, filed unless ``filed=False``, important data declared none, the Art. 39
    notice in both languages."""
    request.getfixturevalue("registry_synced")
    from piwarden.sharing.models import Flow
    from piwarden.transfers import services

    def make(activity, recipient, *, filed=True, **values):
        today = timezone.localdate()
        defaults = {"mechanism": "standard_contract", "reference": "SC-2026-001",
                    "effective_on": today - datetime.timedelta(days=30),
                    "valid_until": today + datetime.timedelta(days=700),
                    "important_data": "none", **NOTICE}
        flow = Flow.objects.get(activity=activity, recipient=recipient)
        with transaction.atomic():
            record = services.create_record(actor=officer, flow=flow, **{**defaults, **values})
            if filed and record.mechanism in ("standard_contract", "gba_contract"):
                record = services.record_filing(actor=officer, record=record,
                                                reference=record.reference or "SC-2026-001",
                                                filed_on=today - datetime.timedelta(days=25))
        return record
    return make
