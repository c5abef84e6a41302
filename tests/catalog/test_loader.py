"""A bad catalog file is refused with every problem as ``file:line: location: message``."""

import pytest

from piwarden.catalog.loader import CatalogError, read

from .conftest import MINIMAL, line_of


def problems(path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        read(path)
    return [str(p) for p in caught.value.problems]


def test_minimal_catalog_is_valid(write):
    """The base file the other tests break is itself valid."""
    catalog = read(write(MINIMAL))
    assert [c["key"] for c in catalog.categories] == [
        "user", "user.contact", "user.contact.email", "user.id_info", "user.app_list"]
    assert catalog.categories[2]["grade"] == "personal"  # inherited from user


def test_shipped_catalog_is_valid(settings):
    """`piwarden catalog check` passes on the shipped file."""
    assert read(settings.PIWARDEN_CATALOG_FILE).data["handler"]["country"] == "CN"


def test_unknown_category_in_activity_names_file_line_and_path(write):
    """The brief's example: an activity naming an uncatalogued category, on its own line."""
    text = MINIMAL.replace("    categories: [user.contact.email]\n",
                           "    categories:\n      - user.contact.email\n      - user.wechat_id\n")
    path = write(text)
    assert problems(path) == [
        f"{path}:{line_of(text, '- user.wechat_id')}: processing_activities[0].categories[1]: "
        "unknown data category 'user.wechat_id'"
    ]


@pytest.mark.parametrize(("old", "new", "location", "message"), [
    ("    purpose: marketing.email\n", "    purpose: marketing.fax\n",
     "processing_activities[0].purpose", "unknown purpose 'marketing.fax'"),
    ("    legal_bases: [consent]\n", "    legal_bases: [consent, legitimate_interest]\n",
     "processing_activities[0].legal_bases[1]", "unknown legal basis 'legitimate_interest'"),
    ("    legal_basis: consent\n", "    legal_basis: deemed_consent\n",
     "purposes[0].legal_basis", "unknown legal basis 'deemed_consent'"),
    ("    systems: [crm]\n", "    systems: [crm, mainframe]\n",
     "processing_activities[0].systems[1]", "unknown system 'mainframe'"),
    ("    recipients: [processor.messaging]\n", "    recipients: [ad.network]\n",
     "processing_activities[0].recipients[0]", "unknown recipient 'ad.network'"),
    ("    data_subjects: [account_holder]\n", "    data_subjects: [employee]\n",
     "processing_activities[0].data_subjects[0]", "unknown data subject kind 'employee' (one of: "
     "account_holder, campaign_contact, lead, partner_person, visitor)"),
    ("    categories: [user.contact.email]\n", "    categories: [user.app_list]\n",
     "processing_activities[0].categories[0]",
     "data category 'user.app_list' is marked not collectable and may not be processed"),
    ("    legal_bases: [consent]\n", "    legal_bases: [exception.safe_operation]\n",
     "processing_activities[0].legal_bases[0]", "legal basis 'exception.safe_operation' has no "
     "PIPL Art. 13 basis of its own and may only be used together with: contract"),
    ("      - key: user.id_info\n", "      - key: usr.id_info\n",
     "categories[0].children[1].key",
     "category 'usr.id_info' is not under its parent 'user' (expected 'user.<name>')"),
    ("purposes:\n", "  - key: business.contact\n    name: {en: B, zh-hans: B}\n"
     "    grade: public\npurposes:\n", "categories[1].key",
     "top-level category 'business.contact' must be a single word (no dots)"),
    ("    retention: until_withdrawn\n", "    retention: 6 months\n",
     "processing_activities[0].retention", '"6 months" must be an ISO-8601 duration like '
     "'P180D' or 'P1Y', or one of account_lifetime, legal_hold, until_withdrawn, session"),
    ("        grade: sensitive\n", "        grade: secret\n", "categories[0].children[1].grade",
     "'secret' is not one of ['public', 'internal', 'personal', 'sensitive']"),
    ("  country: CN\nlegal_bases", "  country: China\nlegal_bases", "handler.country",
     "\"China\" must be a two-letter ISO 3166 country code like 'CN' (quote 'NO')"),
])
def test_each_kind_of_bad_reference_or_value(write, old, new, location, message):
    """Each broken line gives exactly one problem, at that line, naming the path and the cause."""
    assert MINIMAL.count(old) == 1
    text = MINIMAL.replace(old, new)
    path = write(text)
    line = line_of(text, new.splitlines()[0])
    assert problems(path) == [f"{path}:{line}: {location}: {message}"]


def test_misspelt_field_is_named_and_the_missing_one_too(write):
    """A typo gives two problems: the unknown field, and the required one now missing."""
    text = MINIMAL.replace("    purpose: marketing.email\n", "    purpsoe: marketing.email\n")
    path = write(text)
    assert problems(path) == [
        f"{path}:{line_of(text, '- key: marketing.newsletter')}: processing_activities[0]: "
        "missing required field 'purpose'",
        f"{path}:{line_of(text, 'purpsoe: marketing.email')}: processing_activities[0].purpsoe: "
        "unknown field 'purpsoe'",
    ]


def test_recipient_without_role_is_refused(write):
    """D-1.5: a recipient must have a legal role; the error points at the recipient."""
    text = MINIMAL.replace("    role: processor\n", "")
    path = write(text)
    line = line_of(text, "- key: processor.messaging")
    assert problems(path) == [f"{path}:{line}: recipients[0]: missing required field 'role'"]


def test_safe_operation_with_contract_is_accepted(write):
    """S-4.4: §4.4(8) is fine when the activity also rests on the contract basis 13(2)."""
    text = MINIMAL.replace("    legal_bases: [consent]\n",
                           "    legal_bases: [exception.safe_operation, contract]\n")
    assert read(write(text)).data["processing_activities"][0]["legal_bases"][1] == "contract"


def test_basis_without_article_13_item_must_say_what_it_needs(write):
    """A basis resting on no Art. 13 item cannot drop its only_with (the §4.4(8) guard)."""
    text = MINIMAL.replace("    only_with: [contract]\n", "")
    path = write(text)
    line = line_of(text, "pipl_13: null")
    assert problems(path) == [
        f"{path}:{line}: legal_bases[2].pipl_13: legal basis 'exception.safe_operation' rests on "
        "no PIPL Art. 13 item; name the bases it may only be used with in 'only_with'"
    ]


def test_duplicate_yaml_mapping_key_is_refused(write):
    """PyYAML would keep the last 'country' silently; the loader reports both lines."""
    text = MINIMAL.replace("  country: CN\nlegal_bases",
                           "  country: CN\n  country: HK\nlegal_bases")
    path = write(text)
    second = line_of(text, "country: HK")
    first = second - 1
    assert problems(path) == [
        f"{path}:{second}: handler.country: duplicate key 'country' (first given on line {first})"
    ]


def test_duplicate_catalog_key_is_refused(write):
    """Two purposes with one key: the second is reported, naming the line of the first."""
    extra = ("  - key: marketing.email\n    name: {en: Again, zh-hans: 再次}\n"
             "    legal_basis: consent\n    consent: consent\nsystems:\n")
    text = MINIMAL.replace("systems:\n", extra)
    path = write(text)
    first = line_of(text, "name: {en: E-mail marketing, zh-hans: 邮件营销}") - 1
    second = line_of(text, "name: {en: Again, zh-hans: 再次}") - 1
    assert problems(path) == [
        f"{path}:{second}: purposes[1].key: duplicate key 'marketing.email' (first declared on "
        f"line {first})"
    ]


def test_top_level_category_needs_a_grade(write):
    """Only children inherit a grade; a root category must declare one."""
    text = MINIMAL.replace("    grade: personal\n", "")
    path = write(text)
    assert problems(path) == [
        f"{path}:{line_of(text, '- key: user')}: categories[0]: top-level category 'user' needs "
        "a grade"
    ]


def test_anonymized_data_cannot_be_graded_personal(write):
    """Anonymized data is not PI (PIPL Art. 4), so it must be public or internal."""
    text = MINIMAL.replace("        collectable: false\n", "        anonymized: true\n")
    path = write(text)
    line = line_of(text, "- key: user.app_list")
    assert problems(path) == [
        f"{path}:{line}: categories[0].children[2]: anonymized category 'user.app_list' cannot be "
        "graded 'personal': anonymized data is not PI (PIPL Art. 4)"
    ]


def test_active_recipient_needs_a_legal_name(write):
    """A draft may leave the legal name open; an active recipient may not."""
    text = MINIMAL.replace("    status: draft\n", "    status: active\n")
    path = write(text)
    assert problems(path) == [
        f"{path}:{line_of(text, 'status: active')}: recipients[0].status: recipient "
        "'processor.messaging' is active but has no legal_name or country; keep it a draft until "
        "it is named"
    ]


def test_all_problems_are_reported_in_line_order(write):
    """Not just the first problem: every one, sorted by line."""
    text = (MINIMAL.replace("    legal_basis: consent\n", "    legal_basis: nope\n")
            .replace("    systems: [crm]\n", "    systems: [nowhere]\n"))
    path = write(text)
    assert problems(path) == [
        f"{path}:{line_of(text, 'legal_basis: nope')}: purposes[0].legal_basis: unknown legal "
        "basis 'nope'",
        f"{path}:{line_of(text, 'systems: [nowhere]')}: processing_activities[0].systems[0]: "
        "unknown system 'nowhere'",
    ]


def test_yaml_syntax_error_gives_its_line(write):
    """A file that is not YAML at all still gets a file:line message."""
    text = MINIMAL.replace("    name: CRM\n", "    name: [CRM\n")
    path = write(text)
    [problem] = problems(path)
    assert problem.startswith(f"{path}:") and ": (yaml): " in problem


def test_missing_file(tmp_path):
    """A path that does not exist is a CatalogError, not a traceback."""
    path = tmp_path / "absent.yaml"
    assert problems(path) == [f"{path}:1: (file): cannot read: No such file or directory"]


def test_path_is_shown_relative_to_the_working_directory(write, tmp_path, monkeypatch):
    """Errors read like the brief: ``catalog/piwarden.yaml:123: …`` when run from the repo."""
    (tmp_path / "catalog").mkdir()
    write(MINIMAL.replace("purpose: marketing.email", "purpose: x"), "catalog/piwarden.yaml")
    monkeypatch.chdir(tmp_path)
    [problem] = problems(tmp_path / "catalog" / "piwarden.yaml")
    assert problem.startswith("catalog/piwarden.yaml:")
