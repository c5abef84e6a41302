"""After sign-up and a full profile, no table of the database holds the person's PI in
plaintext: not the accounts tables, the auth and session tables, nor the audit trail."""

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import serializers

from piwarden.accounts import services

from .test_avatar import jpeg_with_gps
from .test_id_info import ADULT_ID

pytestmark = pytest.mark.django_db


def test_no_plaintext_pi_in_any_table(account, client_for):
    client = client_for(account)
    client.put("/api/v1/account/profile/name", {"value": "Qian Duoduo"},
               content_type="application/json")
    client.put("/api/v1/account/profile/contact_other", {"value": "wechat qianduo77"},
               content_type="application/json")
    client.put("/api/v1/account/address", {"province": "浙江省", "city": "杭州市",
                                           "street": "文三路 477 号", "postcode": "310013"},
               content_type="application/json")
    services.set_id_info(account=account, service="invoicing", id_type="prc_resident_id",
                         id_number=ADULT_ID, consent_given=True)
    services.set_avatar(account=account, data=jpeg_with_gps())
    dump = []
    for model in apps.get_models():
        dump.append(serializers.serialize("json", model.objects.all()))
    for session in Session.objects.all():
        dump.append(str(session.get_decoded()))
    text = "\n".join(dump)
    national = account.test_phone[3:]
    for value in (national, account.test_email, "Qian Duoduo", "qianduo77", "文三路",
                  ADULT_ID):
        assert value not in text, value
