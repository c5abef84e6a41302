"""The people an incident concerns are in the subject-data registry: exported, kept."""

import pytest

from piwarden.incidents import subject_data
from piwarden.incidents.models import AffectedPerson

pytestmark = pytest.mark.django_db


def test_export_lists_the_incidents_and_erasure_keeps_them(make_incident, person,
                                                             system_actor):
    incident = make_incident()
    AffectedPerson.objects.create(incident=incident, subject=person,
                                  categories=["user.contact.email"], read=True)
    rows = subject_data.export(person)["incidents"]
    assert rows == [{"incident": incident.pk, "severity": "serious",
                     "detected_at": "2026-03-01T06:30:00+00:00",
                     "categories": ["user.contact.email"], "read": True, "changed": False}]
    erased = subject_data.erase(actor=system_actor, subject=person, categories=None)
    assert (erased.erased, [k.legal_basis for k in erased.kept]) == (0, ["legal_obligation"])
    assert AffectedPerson.objects.filter(subject=person).exists()
