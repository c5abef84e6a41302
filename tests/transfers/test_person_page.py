"""The person's own overseas transfers on "who has my data" (X-7.2, PIPL Art. 39): the
recipient's name, contact, country or region, purposes, categories and how to exercise rights
against it, in Chinese and English, never another person's and never a code."""

import html
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from piwarden.accounts.models import Account
from piwarden.sharing import services

from .conftest import NOTICE, STORAGE_FLOW

pytestmark = pytest.mark.django_db
PAGE, API = "/privacy/sharing/", "/api/v1/sharing/me/recipients"
DOMESTIC = ("sharing.processors", "partner.business")
STORAGE_NAME = "Example Storage Pte. Ltd."
CODES = ("processor.data_storage", "sharing.processors", "user.name", "user.contact",
         "standard_contract", ">SG<", "crossborder")


def sign_in(subject, lang="en") -> Client:
    user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}", password=None)
    Account.objects.create(user=user, subject=subject)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


def page(client, lang) -> str:
    client.cookies["django_language"] = lang
    response = client.get(PAGE)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def sent(make_record, activate, person_with, system_actor):
    """Wang's name and e-mail went to the Singapore storage provider; Li's only to a
    provider in mainland China, through the same activity."""
    storage = (make_record(*STORAGE_FLOW), activate(*STORAGE_FLOW))[1]
    domestic = activate(*DOMESTIC)
    wang = person_with(name="王小明", email="wang@example.cn")
    li = person_with(name="李华", email="li@example.cn")
    assert services.provide(actor=system_actor, flow=storage, subject_ids=[wang.pk],
                            categories=["user.name", "user.contact"])[0].provided == 1
    assert services.provide(actor=system_actor, flow=domestic,
                            subject_ids=[li.pk])[0].provided == 1
    return wang, li


def test_x_7_2_the_person_sees_their_own_overseas_transfer_with_the_art_39_items(sent):
    wang, _ = sent
    me = sign_in(wang)
    for lang, words in (
            ("en", ["Outside mainland China (Singapore)", STORAGE_NAME,
                    "privacy@storage.example.sg", "Singapore", NOTICE["notice_en"],
                    "Entrusting processing to partners and service providers", "Name",
                    "How to exercise your rights against it"]),
            ("zh-hans", ["位于中国境外（新加坡）", STORAGE_NAME, "privacy@storage.example.sg",
                         "新加坡", NOTICE["notice_zh"], "委托合作伙伴和服务提供商处理",
                         "向其行使权利的方式"])):
        content = page(me, lang)
        block = content[content.index('class="abroad"'):]
        block = block[:block.index("</section>")]
        for word in words:
            assert word in (block if word != STORAGE_NAME else content), (lang, word)
        assert not [code for code in CODES if code in content], lang


def test_x_7_2_another_person_never_sees_someone_elses_overseas_transfer(sent):
    _, li = sent
    content = page(sign_in(li), "en")
    assert "Example Service Partner Co., Ltd." in content  # their own, in mainland China
    assert STORAGE_NAME not in content
    assert 'class="abroad"' not in content and NOTICE["notice_en"] not in content


def test_x_7_2_the_api_marks_the_overseas_recipient(sent):
    wang, li = sent
    mine = sign_in(wang).get(API, {"lang": "zh-hans"}).json()["recipients"]
    assert [(r["company"]["name"], r["abroad"]) for r in mine] == [(STORAGE_NAME, {
        "country": "SG", "country_name": "新加坡", "rights": [NOTICE["notice_zh"]]})]
    theirs = sign_in(li).get(API).json()["recipients"]
    assert [r["abroad"] for r in theirs] == [None]
