"""What the campaign job does for speed keeps its guarantees: a chunk runs with the cyclic
garbage collector paused and leaves it as it found it, also when the chunk fails."""

import gc

import pytest
from django.db import transaction

from piwarden.notify import services
from piwarden.notify.models import CampaignStatus, Delivery

pytestmark = pytest.mark.django_db


def _sending(campaign):
    with transaction.atomic():
        campaign.status = CampaignStatus.SENDING
        campaign.save(update_fields=["status"])


def test_p_14_1_a_chunk_runs_with_the_collector_paused_and_restores_it(
        settings, make_person, create, monkeypatch):
    settings.PIWARDEN_NOTIFY_CHUNK = 2
    people = [make_person() for _ in range(3)]
    campaign = create(people)
    _sending(campaign)
    real, seen = services._send_chunk, []

    def watching(*args):
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(services, "_send_chunk", watching)
    assert gc.isenabled()
    result = services.run(campaign_id=campaign.pk)
    assert result.done and seen == [False, False]
    assert gc.isenabled()
    assert Delivery.objects.filter(campaign=campaign).count() == 3


def test_p_14_1_a_failing_chunk_turns_the_collector_back_on(make_person, create, monkeypatch):
    campaign = create([make_person()])
    _sending(campaign)

    def crashing(*args):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_send_chunk", crashing)
    with pytest.raises(RuntimeError):
        services.run(campaign_id=campaign.pk)
    assert gc.isenabled()


def test_p_14_1_a_paused_collector_stays_paused(make_person, create):
    campaign = create([make_person()])
    _sending(campaign)
    gc.disable()
    try:
        assert services.run(campaign_id=campaign.pk).done
        assert not gc.isenabled()
    finally:
        gc.enable()
