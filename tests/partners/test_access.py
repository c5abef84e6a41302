"""Who can see partner records: the submitting partner (masked), the person whose verified
contact they hold (privacy-center page, export), nobody else."""

import uuid

import pytest
from django.test import Client

from piwarden.audit.actors import Actor
from piwarden.clients import services as clients
from piwarden.partners import subject_data
from piwarden.partners.models import PartnerRecord
from piwarden.subjects import registry
from piwarden.subjects.models import SubjectStatus
from piwarden.vault import services as vault
from piwarden.vault.models import DataKey, VaultValue
from tests.accounts.conftest import logged_in_client

from .conftest import record, submit

pytestmark = pytest.mark.django_db


def test_partner_reads_back_only_its_own_records(make_partner):
    mine, other = make_partner(), make_partner("partner.advertising")
    submit(mine, [record("m-1", phone="13800000101", name="周杰")])
    response = mine.get("/api/v1/partners/records/m-1")
    assert response.status_code == 200
    assert response.json()["masked"] == {"name": "周*", "phone": "138****0101"}
    assert other.get("/api/v1/partners/records/m-1").status_code == 404


def test_a_key_without_partner_or_scope_is_refused(make_partner, system_actor):
    make_partner()
    _, unlinked = clients.create_client(actor=system_actor, name=f"x-{uuid.uuid4()}",
                                        scopes=["partners:import"])
    _, wrong_scope = clients.create_client(actor=system_actor, name=f"y-{uuid.uuid4()}",
                                           scopes=["leads:write"])
    for key, code in ((unlinked, "NOT_A_PARTNER_CLIENT"), (wrong_scope, "FORBIDDEN")):
        response = submit(Client(HTTP_AUTHORIZATION=f"Bearer {key}"),
                          [record("z-1", phone="13800000102")])
        assert (response.status_code, response.json()["error"]["code"]) == (403, code)
    assert submit(Client(), [record("z-1", phone="13800000102")]).status_code == 401
    assert not PartnerRecord.objects.exists()


def test_person_sees_the_sources_of_their_data(make_partner, make_account):
    """The page lists the partner records holding the account's verified phone or e-mail, and
    not another person's."""
    account, stranger = make_account(), make_account()
    http = make_partner()
    submit(http, [record("s-1", phone=account.test_phone, name="吴可"),
                  record("s-2", email=account.test_email.upper(), reference="AUTH-EMAIL-7"),
                  record("s-3", phone=stranger.test_phone)])
    page = logged_in_client(account).get("/partners/sources/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("data-record=") == 2
    assert "AUTH-EMAIL-7" in html and "Data Source Co." in html
    assert account.test_phone not in html  # masked only
    assert logged_in_client(stranger).get("/partners/sources/").content.decode().count(
        "data-record=") == 1
    assert Client().get("/partners/sources/").status_code == 302


def test_unverified_contact_matches_nothing(make_partner, make_account):
    account = make_account(bind=False)
    submit(make_partner(), [record("u-1", phone=account.test_phone)])
    client = Client()
    client.force_login(account.user)
    assert "data-record=" not in client.get("/partners/sources/").content.decode()


def test_export_and_erase_through_the_registry(make_partner, make_account, system_actor):
    account = make_account()
    submit(make_partner(), [record("e-1", phone=account.test_phone, name="郑好")])
    person = PartnerRecord.objects.get().subject
    source = next(s for s in registry.sources() if s.name == "partners.records")
    assert source is subject_data.SOURCE
    exported = source.export(person)["partner_records"][0]
    assert exported["phone"] == account.test_phone and exported["name"] == "郑好"
    assert exported["authorization_reference"] == "AUTH-2026-0001"
    assert source.export(account.subject)["partner_records"][0]["external_id"] == "e-1"
    actor = Actor.system("tests")
    first = source.erase(actor=actor, subject=person, categories=None)
    assert first.erased == 3  # two vault values and the record
    assert not PartnerRecord.objects.exists()
    assert not VaultValue.objects.filter(subject=person).exists()
    assert source.erase(actor=actor, subject=person, categories=None).erased == 0
    assert source.export(person) == {}
    assert vault.masked(person, "phone") is None


def test_sources_page_in_simplified_chinese(make_account):
    page = logged_in_client(make_account()).get("/partners/sources/",
                                                HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "您的数据来源" in page.content.decode()


def test_an_account_holders_erasure_also_erases_the_partner_records_that_match_them(
        make_partner, make_account):
    """What the person's export shows is what their erasure removes: the engine erases the
    matching partner records before the account and its contact values go."""
    from piwarden.subjectdata import services as subjectdata

    account = make_account()
    submit(make_partner(), [record("e-1", phone=account.test_phone, name="郑好")])
    person = PartnerRecord.objects.get().subject
    run = subjectdata.start_erasure(actor=Actor.system("tests"), subject=account.subject,
                                    categories=None, reason="deletion request")
    run = subjectdata.run_erasure(run_id=run.pk)
    assert run.progress["partners.records"]["erased"] >= 3
    assert not PartnerRecord.objects.exists()
    assert not VaultValue.objects.filter(subject=person).exists()
    # The partner-supplied person is finished as a run of its own would end it.
    person.refresh_from_db()
    assert person.status == SubjectStatus.ERASED
    assert DataKey.objects.get(subject=person).shredded_at is not None
