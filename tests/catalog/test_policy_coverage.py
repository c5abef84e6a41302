"""The shipped catalog covers everything the privacy policy names (the issue's "done when")."""

import pytest

from piwarden.catalog.models import DataCategory, LegalBasis, ProcessingActivity, Purpose, Recipient
from piwarden.subjects.models import SubjectKind

# (what the policy says, where, catalog key, grade the key must have or None for "any PI grade")
POLICY_CATEGORIES = [
    ("name", "§1.2, §2.1(1)", "user.name", None),
    ("ID information", "§1.2, §1.3, §2.1(1), §2.1(5)", "user.id_info", "sensitive"),
    ("address", "§1.2, §2.1(1), §2.1(3)", "user.address", None),
    ("phone number / mobile phone number", "§1.2, §2.1(1)-(4)", "user.contact.phone", None),
    ("bank account numbers", "§1.3, §2.1(5)", "user.financial.bank_account", "sensitive"),
    ("communication records", "§1.3", "user.communication.records", "sensitive"),
    ("communication contents", "§1.3", "user.communication.content", "sensitive"),
    ("property information", "§1.3", "user.financial.property", "sensitive"),
    ("transaction information", "§1.3", "user.financial.transaction", "sensitive"),
    ("e-mail", "§2.1(1)-(4)", "user.contact.email", None),
    ("password / login password", "§2.1(1), §2.1(3)", "user.credentials.password", "sensitive"),
    ("contact information", "§2.1(1), §2.1(2)", "user.contact", None),
    ("contact information left by visitors", "§2.1(2)", "user.contact.other", None),
    ("user logo", "§2.1(3)", "user.account.avatar", None),
    ("user name", "§2.1(3)", "user.account.username", None),
    ("name or title", "§2.1(4), §2.1(5)", "user.title", None),
    ("occupational background", "§2.1(4)", "user.occupation", None),
    ("payment password", "§2.1(5)", "user.credentials.payment_password", "sensitive"),
    ("billing information", "§2.1(5)", "user.financial.billing", "sensitive"),
    ("invoice information", "§2.1(5)", "user.financial.invoice", "sensitive"),
    ("remarks", "§2.1(5)", "user.financial.payment_remarks", "sensitive"),
    ("device attributes", "§2.2(1)", "user.device.attributes", None),
    ("connection: browser type, telecom operator, language", "§2.2(1)",
     "user.device.connection", None),
    ("status: sensor data", "§2.2(1)", "user.device.status.sensor_data", None),
    ("status: app installation list", "§2.2(1)", "user.device.status.app_list", None),
    ("association of different devices", "§2.2(1)", "user.device.link", None),
    ("use of products and services", "§2.2(2)", "user.log.usage", None),
    ("IP address", "§2.2(2)", "user.log.ip_address", None),
    ("URL of the service accessed", "§2.2(2)", "user.log.url", None),
    ("browser type and language", "§2.2(2)", "user.log.browser", None),
    ("download, installation or use of apps and software", "§2.2(2)", "user.log.software", None),
    ("communications with software", "§2.2(2)", "user.log.software_communication", None),
    ("date, time and duration of access", "§2.2(2)", "user.log.access_time", None),
    ("actual location via GPS and sensors", "§2.2(3)", "user.location.precise", "sensitive"),
    ("location via IP address", "§2.2(3)", "user.location.coarse", None),
    ("PI from affiliates or partners", "§2.3", "user.partner_supplied", None),
    ("marketing preferences", "§2.5(3)", "user.preference.marketing", None),
    ("survey answers", "§2.5(4)", "user.survey", None),
    ("statistical information", "§2.5(5)", "derived.statistics", "internal"),
    ("cookie identifiers", "§III", "user.online_id.cookie", None),
    ("local storage objects (HTML5)", "§III", "user.online_id.local_storage", None),
    ("preferences: language, font size", "§III", "user.preference.site", None),
    ("consent records", "§2.4", "user.consent", None),
    ("security information", "§6.1", "user.credentials.security_info", "sensitive"),
    ("PI of minors (PIPL Art. 28, policy silent)", "-", "user.minor", "sensitive"),
    ("published privacy contact", "§IX", "business.privacy_contact", "public"),
]

POLICY_PURPOSES = [
    ("§2.1(1)", "account.registration"), ("§2.1(1)", "service.provision"),
    ("§2.1(2)", "lead.callback"), ("§2.1(3)", "account.profile_edit"),
    ("§2.1(4)", "campaign.offline"), ("§2.1(5)", "payment.invoicing"),
    ("§2.2(1)", "device.experience"), ("§2.2(1)", "device.cross_device"),
    ("§2.2(2)", "log.operation"), ("§2.2(3)", "location.service"),
    ("§2.3", "partner.indirect_collection"), ("§2.5(1)", "analytics.improvement"),
    ("§2.5(2)", "security"), ("§2.5(3)", "marketing.phone"), ("§2.5(3)", "marketing.email"),
    ("§2.5(3)", "marketing.sms"), ("§2.5(4)", "survey"), ("§2.5(5)", "statistics.sharing"),
    ("§2.5", "aggregation.cross_service"), ("§III", "cookies.necessary"),
    ("§III", "cookies.preferences"), ("§III", "cookies.analytics"),
    ("§III", "cookies.advertising"), ("§4.1(1)a", "sharing.consent"),
    ("§4.1(1)b", "sharing.legal"), ("§4.1(1)c", "sharing.protection"),
    ("§4.1(1)d", "sharing.affiliates"), ("§4.1(1)e", "sharing.processors"),
    ("§4.2(3)", "transfer.corporate"), ("§4.3", "disclosure.public"),
    ("§4.3", "disclosure.authorities"), ("§4.4(8)", "service.reliability"),
    ("§5.3", "incident.notification"), ("§VI", "rights.requests"),
    ("§6.5", "account.cancellation"), ("§VII", "crossborder.transfer"),
    ("§2.5", "retention.legal"), ("§2.4", "consent.management"),
]

# (basis, PIPL Art. 13 item it rests on; None = none of its own)
POLICY_LEGAL_BASES = [
    ("consent", 1), ("consent.separate", 1), ("contract", 2), ("legal_obligation", 3),
    ("emergency", 4), ("news_reporting", 5), ("public_information", 6), ("other_law", 7),
    ("exception.national_security", 3),  # §4.4(1)
    ("exception.public_interest", 4),  # §4.4(2)
    ("exception.criminal_justice", 3),  # §4.4(3)
    ("exception.vital_interests", 4),  # §4.4(4)
    ("exception.self_disclosed", 6),  # §4.4(5)
    ("exception.lawfully_public", 6),  # §4.4(6)
    ("exception.contract", 2),  # §4.4(7)
    ("exception.safe_operation", None),  # §4.4(8)
    ("exception.other_law", 7),  # §4.4(9)
]

POLICY_RECIPIENT_TYPES = [
    ("§1.5, §4.1(1)d affiliates", "affiliate.intron_group", "affiliate_handler"),
    ("§4.1(1)e authorised partners", "partner.business", "processor"),
    ("§4.1(2)a advertising providers", "partner.advertising", "independent_handler"),
    ("§4.1(2)a consulting providers", "partner.consulting", "independent_handler"),
    ("§4.1(2)b OEMs", "partner.oem", "processor"),
    ("§4.1(2)b hardware support", "processor.hardware_support", "processor"),
    ("§4.1(2)b software R&D", "processor.software_rd", "processor"),
    ("§4.1(2)b system development", "processor.system_development", "processor"),
    ("§4.1(2)b data storage", "processor.data_storage", "processor"),
    ("§4.1(2)b express delivery", "processor.express_delivery", "processor"),
    ("§4.3 competent authorities", "authority.competent", "authority"),
]

pytestmark = pytest.mark.django_db


def test_every_policy_category_is_catalogued(shipped):
    """Each kind of data the policy names is an active category; sensitive ones are graded L4."""
    grades = dict(DataCategory.objects.filter(retired=False).values_list("key", "grade"))
    wrong = [
        f"{term} ({ref}): {key} is {grades.get(key, 'missing')}"
        for term, ref, key, grade in POLICY_CATEGORIES
        if grades.get(key) not in ([grade] if grade else ["personal", "sensitive"])
    ]
    assert not wrong


def test_section_1_3_sensitive_list_is_graded_sensitive(shipped):
    """§1.3's list (ID, bank account, communications, property, transactions) and precise
    location (PIPL Art. 28) are sensitive, and nothing else in the policy walk is missed."""
    sensitive = set(DataCategory.objects.filter(grade="sensitive").values_list("key", flat=True))
    assert {"user.id_info", "user.financial.bank_account", "user.communication",
            "user.financial.property", "user.financial.transaction",
            "user.location.precise"} <= sensitive


def test_website_cannot_collect_sensor_data_or_app_list(shipped):
    """Requirements §4 item 3: both are catalogued but marked not collectable, with a note."""
    for key in ("user.device.status.sensor_data", "user.device.status.app_list"):
        category = DataCategory.objects.get(key=key)
        assert not category.collectable and category.note
        assert not category.activities.exists()


def test_anonymized_statistics_are_internal_and_flagged(shipped):
    """§2.5(5) statistics are anonymized (not PI, Art. 4), so internal grade."""
    stats = DataCategory.objects.get(key="derived.statistics")
    assert stats.anonymized and stats.level == "L2"


def test_every_policy_purpose_is_catalogued(shipped):
    """Each purpose the policy names exists and has at least one processing activity."""
    used = set(ProcessingActivity.objects.filter(retired=False).values_list(
        "purpose__key", flat=True))
    active = set(Purpose.objects.filter(retired=False).values_list("key", flat=True))
    missing = [f"{ref}: {key}" for ref, key in POLICY_PURPOSES if key not in active & used]
    assert not missing


def test_marketing_has_one_purpose_per_channel(shipped):
    """§2.5(3): phone, e-mail and SMS marketing are separate purposes, each needing consent."""
    channels = Purpose.objects.filter(key__startswith="marketing.")
    assert {p.key for p in channels} == {"marketing.phone", "marketing.email", "marketing.sms"}
    assert {p.consent for p in channels} == {"consent"}


def test_sharing_to_protect_uses_only_art_13_3_or_4(shipped):
    """§4.1(1)c: "company interest" is no basis; the activity rests only on Art. 13(3)/(4)."""
    activity = ProcessingActivity.objects.get(purpose__key="sharing.protection")
    assert {b.pipl_13 for b in activity.legal_bases.all()} <= {3, 4}


def test_every_legal_basis_maps_onto_pipl_article_13(shipped):
    """PIPL Art. 13(1)-(7) and each §4.4 exception exist, mapped as requirements S-4.4 says."""
    items = dict(LegalBasis.objects.filter(retired=False).values_list("key", "pipl_13"))
    wrong = [f"{key}: {items.get(key, 'missing')} != {item}"
             for key, item in POLICY_LEGAL_BASES if key not in items or items[key] != item]
    assert not wrong


def test_safe_operation_exception_needs_contract(shipped):
    """§4.4(8) has no Art. 13 item of its own and may only be used with the contract basis."""
    basis = LegalBasis.objects.get(key="exception.safe_operation")
    assert basis.only_with == ["contract"]
    for activity in basis.activities.all():
        assert activity.legal_bases.filter(key="contract").exists()


def test_every_recipient_type_has_a_role_and_is_a_draft(shipped):
    """The policy names types of partners only: each is a draft with no legal name yet."""
    rows = {r.key: (r.role, r.status, r.legal_name) for r in Recipient.objects.all()}
    wrong = [f"{what}: {key} is {rows.get(key)}" for what, key, role in POLICY_RECIPIENT_TYPES
             if rows.get(key) != (role, "draft", "")]
    assert not wrong


def test_activities_name_real_subject_kinds_and_store_in_china(shipped):
    """Every activity names known subject kinds and keeps its data in CN (§VII)."""
    for activity in ProcessingActivity.objects.all():
        assert set(activity.data_subjects) <= set(SubjectKind.values), activity.key
        assert activity.storage_region == "CN", activity.key


def test_handler_is_intron(shipped):
    """The release records the PI handler the catalog is for."""
    assert shipped.handler == {
        "legal_name": "Intron Technology (China) Co., Ltd.",
        "contact": "privacyconsultant@open-ecu.com",
        "country": "CN",
    }
