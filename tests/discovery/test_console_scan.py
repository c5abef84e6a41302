"""The console's "Scan a text" page (/admin/discovery/scan/): staff with the discovery
permission paste a text and see its findings in words and the text masked, never a value."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.discovery.views import PERMISSION
from piwarden.roles import services as roles
from piwarden.roles.registry import ROLES
from tests.staff import staff_client

pytestmark = pytest.mark.django_db
URL = "/admin/discovery/scan/"
RESIDENT_ID = "110101199003077571"
MOBILE = "13912345678"
EMAIL = "zhang.san@example.com"
TEXT = f"请回电{MOBILE}，身份证号{RESIDENT_ID}已上传\r\n邮箱 {EMAIL}"
VALUES = (MOBILE, RESIDENT_ID, EMAIL, "zhang.san")


def _scanner(name="scanner") -> Client:
    app_label, codename = PERMISSION.split(".")
    return staff_client(app_label, codename, name=name)


def _zh(client: Client) -> Client:
    client.cookies["django_language"] = "zh-hans"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


def test_i18_the_page_shows_an_empty_form_in_english_and_chinese():
    """GET: the form, in each language."""
    english = _scanner().get(URL).content.decode()
    assert "Scan a text" in english and 'name="text"' in english
    chinese = _zh(_scanner("scanner-zh")).get(URL).content.decode()
    assert "扫描文本" in chinese and "要扫描的文本" in chinese
    assert "Scan a text" not in chinese


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("PRC resident ID number", "Mainland China mobile number", "E-mail address",
            "ID information", "Findings: 3")),
    ("zh-hans", ("居民身份证号码", "中国大陆手机号码", "身份证件信息", "发现 3 处")),
])
def test_i18_findings_in_words_and_the_text_masked_never_a_value(lang, words):
    """POST: the findings table names types and categories in words (the codes only in
    data attributes), positions count characters from 1 with line breaks as one, the text
    comes back masked, the form comes back empty, and no value appears anywhere."""
    client = _scanner()
    if lang != "en":
        _zh(client)
    response = client.post(URL, {"text": TEXT})
    assert response.status_code == 200
    html = response.content.decode()
    for word in words:
        assert word in html
    assert 'data-type="cn_resident_id"' in html
    masked = response.context["result"]["masked"]
    assert masked == "请回电[REDACTED]，身份证号[REDACTED]已上传\n邮箱 [REDACTED]"
    assert [(row["start"], row["end"]) for row in response.context["result"]["rows"]] == [
        (4, 14), (20, 37), (45, 65)]
    for value in VALUES:
        assert value not in html
    assert 'id="id_text">\n</textarea>' in html  # the form comes back empty


def test_i18_the_scan_is_audited_by_type_and_count():
    """One audit record by the staff member, with counts by type and no value."""
    client = _scanner()
    client.post(URL, {"text": TEXT})
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "discovery.texts_scanned"
    assert (event.actor_kind, event.actor_id) == ("staff", str(client.user.pk))
    assert event.detail == {"texts": 1, "findings": {"cn_mobile": 1, "cn_resident_id": 1,
                                                     "email": 1}}


def test_i18_nothing_found_says_so():
    html = _scanner().post(URL, {"text": "版本 124.0.0.0，订单号 20240512"}).content.decode()
    assert 'id="scan-none"' in html


def test_i18_a_refused_text_is_not_echoed_back():
    """A text over the limit is refused with the form's error, and not sent back."""
    text = RESIDENT_ID * 6000
    response = _scanner().post(URL, {"text": text})
    assert response.status_code == 200
    assert response.context["form"].errors["text"]
    assert RESIDENT_ID not in response.content.decode()
    assert response.context["result"] is None


def test_i18_the_form_needs_the_csrf_token():
    """A POST without the CSRF token is refused 403 and scans nothing."""
    client = _scanner()
    client.handler.enforce_csrf_checks = True
    before = AuditEvent.objects.count()
    assert client.post(URL, {"text": TEXT}).status_code == 403
    assert AuditEvent.objects.count() == before
    client.get(URL)
    token = client.cookies["csrftoken"].value
    assert client.post(URL, {"text": TEXT, "csrfmiddlewaretoken": token}).status_code == 200


def test_i18_staff_without_the_permission_are_refused():
    """Staff without a discovery role get 403; a person who is not staff is sent to log in."""
    assert staff_client("discovery", name="clerk").get(URL).status_code == 403
    assert staff_client("discovery", name="clerk2").post(URL, {"text": TEXT}).status_code == 403
    user = get_user_model().objects.create_user("person", "p@example.cn", "x")
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 302


def test_i18_the_roles_that_handle_findings_may_scan():
    """A role of the registry holding the permission opens the page, and the console's
    index links it; other roles' holders see neither."""
    holders = [key for key, role in ROLES.items() if PERMISSION in role.permissions]
    assert holders
    roles.sync_groups(actor=Actor.system("tests"))
    users = get_user_model().objects
    allowed = users.create_user("officer", "o@operator.test", "x", is_staff=True)
    allowed.groups.add(Group.objects.get(name=ROLES[holders[0]].group_name))
    other_key = next(key for key, role in ROLES.items() if PERMISSION not in role.permissions)
    refused = users.create_user("other", "x@operator.test", "x", is_staff=True)
    refused.groups.add(Group.objects.get(name=ROLES[other_key].group_name))
    for user, status, linked in ((allowed, 200, True), (refused, 403, False)):
        client = Client()
        client.force_login(user)
        assert client.get(URL).status_code == status
        assert (URL in client.get("/admin/").content.decode()) is linked
