"""`piwarden policy lint` (issue 14 part 6): every defect of requirements §4 on the shipped
policy, nothing on the corrected one, light rewordings still caught, Chinese text too."""

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from piwarden.policy import lint
from piwarden.policy.lint_rules import RULES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policy"
ORIGINAL = EXAMPLES / "privacy-policy.txt"
CORRECTED = EXAMPLES / "privacy-policy-corrected.txt"


@pytest.fixture(scope="module")
def findings():
    return lint.lint(ORIGINAL.read_text(encoding="utf-8"))


def _by_id(findings, rule_id):
    return [f for f in findings if f.id == rule_id]


def _quoted(findings, rule_id, section, sentence, severity="conflict"):
    """The rule reports this sentence in this section, with its severity."""
    hits = [f for f in _by_id(findings, rule_id) if f.sentence == sentence]
    assert hits, f"{rule_id} did not quote {sentence!r}: {_by_id(findings, rule_id)}"
    assert hits[0].section == section
    assert hits[0].severity == severity
    return hits[0]


def _ids(text):
    return {f.id for f in lint.lint(text)}


# --- the shipped policy: items 1-12 (conflicts) -----------------------------------------

def test_d_policy_lint_finds_item_1_deemed_consent(findings):
    f = _quoted(findings, "L-1", "§Preamble",
                "By using the service or products of Intron, you are deemed to agree to be "
                "bound by the terms and conditions hereof.")
    assert "Art. 14" in f.article


def test_d_policy_lint_finds_item_2_spi_agreement_is_not_separate_consent(findings):
    f = _quoted(findings, "L-2", "§1.3",
                "You agree that your Sensitive Personal Information will be processed for the "
                "purposes and by the means described herein;")
    assert "Art. 29" in f.article


def test_d_policy_lint_finds_item_3_app_list_and_sensor_data(findings):
    f = _by_id(findings, "L-3")
    assert len(f) == 1 and f[0].section == "§2.2(1)"
    assert "(e.g., sensor data and app installation list)" in f[0].sentence
    assert f[0].sentence.startswith("Device information: We will collect information")


def test_d_policy_lint_finds_item_4_precise_location_as_ordinary_pi(findings):
    f = _quoted(findings, "L-4", "§2.2(3)",
                "We use several means for locating users, including IP address, GPS and "
                "sensors.")
    assert "Art. 28" in f.article
    assert any("information about your actual location" in x.sentence
               for x in _by_id(findings, "L-4"))


def test_d_policy_lint_finds_item_5_company_interest_is_no_basis(findings):
    f = _by_id(findings, "L-5")
    assert len(f) == 1 and f[0].section == "§4.1(1)c"
    assert f[0].sentence.startswith("Sharing your Personal Information to protect interests "
                                    "and rights of Intron")
    assert f[0].article == "PIPL Art. 13"


def test_d_policy_lint_finds_item_6_affiliates_bound_by_policy(findings):
    f = _quoted(findings, "L-6", "§4.1(1)d",
                "We will only share necessary Personal Information and such practice will be "
                "bound by this Privacy Policy.")
    assert "Art. 23" in f.article
    assert len(_by_id(findings, "L-6")) == 1  # not §4.2(3)'s M&A successor


def test_d_policy_lint_finds_item_7_worldwide_partners(findings):
    f = _quoted(findings, "L-7", "§4.1(2)b",
                "We share information with OEMs, service providers and other Partners that "
                "support our business worldwide.")
    assert "Art. 38" in f.article


def test_d_policy_lint_finds_item_8_authorities_in_public_disclosure(findings):
    f = _quoted(findings, "L-8", "§4.3",
                "We may disclose your Personal Information to competent authorities to the "
                "extent required by applicable laws and regulations, legal procedures, "
                "litigations or mandatory orders of competent government authorities.")
    assert "Art. 25" in f.article
    assert len(_by_id(findings, "L-8")) == 1


def test_d_policy_lint_finds_item_9_safe_and_stable_operation(findings):
    _quoted(findings, "L-9", "§4.4(8)",
            "The information is necessary for the safe and stable operation of our products or "
            "service, such as identifying or fixing failures of products or service;")


def test_d_policy_lint_finds_item_10_unmodifiable_signup_info(findings):
    f = _quoted(findings, "L-10", "§6.2",
                "However, for security and identification reasons, you may not be able to "
                "modify some of the initial sign-up information you submitted at the time of "
                "sign-up.")
    assert "Art. 46" in f.article


def test_d_policy_lint_finds_item_11_withdrawal_keeps_stored_data(findings):
    f = _quoted(findings, "L-11", "§6.4",
                'However, you understand and agree that unless you exercise the aforementioned '
                '"deletion right", your withdrawal of authorization will not affect our '
                'previous processing and storage of Personal Information based on your '
                'authorization.')
    assert "Art. 47(1)(3)" in f.article


def test_d_policy_lint_finds_item_12_cancellation_at_discretion(findings):
    f = _quoted(findings, "L-12", "§6.5",
                "To protect the legitimate rights and interests of you or others, we will "
                "determine whether to support your cancellation request based on your use of "
                "the products and/or service we provide.")
    assert "Art. 50" in f.article


# --- item 13: each missing piece on its own ----------------------------------------------

CONTACT = ("If you have any comments or suggestions on this Privacy Policy, please send us an "
           "e-mail at privacyconsultant@open-ecu.com .")


def test_d_policy_lint_finds_item_13a_no_retention_periods(findings):
    f = _quoted(findings, "L-13a", "§2.5",
                "If you cancel your account, we will delete or anonymize your Personal "
                "Information, except for the information retained by us for lawful purposes.",
                severity="missing")
    assert "Art. 17(1)(2)" in f.article


def test_d_policy_lint_finds_item_13b_no_minors_clause(findings):
    (f,) = _by_id(findings, "L-13b")
    assert f.severity == "missing" and f.article == "PIPL Art. 28, 31"
    assert f.sentence is None and f.section is None  # nothing in the text touches it


def test_d_policy_lint_finds_item_13c_no_named_protection_officer(findings):
    f = _quoted(findings, "L-13c", "§IX", CONTACT, severity="missing")
    assert "Art. 52" in f.article


def test_d_policy_lint_finds_item_13d_no_personalisation_opt_out(findings):
    f = _by_id(findings, "L-13d")
    assert len(f) == 1 and f[0].severity == "missing" and "Art. 24" in f[0].article
    assert f[0].section == "§2.5(3)"
    assert f[0].sentence.startswith("We may contact you via phone or e-mail to recommend")


def test_d_policy_lint_finds_item_13e_no_complaint_route(findings):
    f = _quoted(findings, "L-13e", "§IX", CONTACT, severity="missing")
    assert "8.7" in f.article


# --- item 14: editorial --------------------------------------------------------------

def test_d_policy_lint_reports_item_14_as_editorial(findings):
    para = ("In principle, the Personal Information we have collected and generated within the "
            "territory of the People's Republic of China will be stored in the territory of "
            "the People's Republic of China.")
    _quoted(findings, "E-14a", "§VII", para, severity="editorial")
    assert len(_by_id(findings, "E-14a")) == 1
    f = _quoted(findings, "E-14b", "§VIII(55)",
                "55) changes in Intron departments in charge of handling Personal Information "
                "security, contact information, and channels for complaints;",
                severity="editorial")
    assert "expected 5" in f.detail and len(_by_id(findings, "E-14b")) == 1
    _quoted(findings, "E-14c", "§4.1(1)e",
            "P Some part of our service will be provided by our authorized Partners so as to "
            "deliver better and higher-quality products and service to you.",
            severity="editorial")
    f = _quoted(findings, "E-14d", "§Preamble",
                "If you disagree on any terms and conditions of the Privacy Policy, we will be "
                "unable to offer ou full access to our service and you will have to stop using "
                "our products or service immediately.", severity="editorial")
    assert '"ou"' in f.detail
    f = _quoted(findings, "E-14e", "§IX", CONTACT, severity="editorial")
    assert "open-ecu.com" in f.detail


def test_d_policy_lint_finds_every_item_of_section_4(findings):
    assert {f.id for f in findings} == {r.id for r in RULES}
    assert {f.item for f in findings} == {str(n) for n in range(1, 15)}


# --- the corrected policy -------------------------------------------------------------

def test_d_policy_lint_passes_the_corrected_policy():
    assert lint.lint(CORRECTED.read_text(encoding="utf-8")) == []


def test_hard_wrapped_text_gives_the_same_findings():
    for path in (ORIGINAL, CORRECTED):
        text = path.read_text(encoding="utf-8")
        wrapped = "\n".join(textwrap.fill(line, 79) if line.strip() else ""
                            for line in text.split("\n"))
        assert ([(f.id, f.section, f.sentence) for f in lint.lint(wrapped)]
                == [(f.id, f.section, f.sentence) for f in lint.lint(text)])


def test_each_defect_fixed_alone_clears_its_rule():
    """Replacing one defective sentence with the corrected wording drops only that rule."""
    text = ORIGINAL.read_text(encoding="utf-8")
    fixed = text.replace(
        "By using the service or products of Intron, you are deemed to agree to be bound by "
        "the terms and conditions hereof.",
        "Browsing our website is never treated as consent.")  # §2.3 still deems consent
    assert _ids(text) == _ids(fixed)
    assert [f.section for f in lint.lint(fixed) if f.id == "L-1"] == ["§2.3"]
    fixed = text.replace("sensor data and app installation list", "screen size")
    assert fixed != text
    assert _ids(text) - _ids(fixed) == {"L-3"}


# --- light rewordings (items 1, 2, 5, 11) ----------------------------------------------

@pytest.mark.parametrize("sentence", [
    "If you continue to browse our website, you accept these terms.",
    "Your use of this website constitutes your acceptance of this Privacy Policy.",
    "By accessing our services you agree to the processing described here.",
    "Users who keep using the site will be considered to have consented to this policy.",
    "Continued use of the website means you accept this policy.",
])
def test_d_policy_lint_item_1_catches_a_rewording(sentence):
    assert [f.sentence for f in lint.lint(sentence) if f.id == "L-1"] == [sentence]


@pytest.mark.parametrize("sentence", [
    "By accepting this policy, you consent to the processing of your sensitive personal "
    "information.",
    "Your sensitive personal information will be processed as described above, to which you "
    "hereby agree.",
])
def test_d_policy_lint_item_2_catches_a_rewording(sentence):
    assert [f.sentence for f in lint.lint(sentence) if f.id == "L-2"] == [sentence]


@pytest.mark.parametrize("sentence", [
    "We may disclose your personal information to third parties where necessary to safeguard "
    "the rights and property of our company.",
    "We may provide your information to others to defend Intron\u2019s legitimate interests.",
])
def test_d_policy_lint_item_5_catches_a_rewording(sentence):
    assert [f.sentence for f in lint.lint(sentence) if f.id == "L-5"] == [sentence]


@pytest.mark.parametrize("sentence", [
    "Withdrawing your consent does not affect information we have already stored, unless you "
    "ask us to delete it.",
    "If you withdraw consent, the data collected before will still be retained.",
])
def test_d_policy_lint_item_11_catches_a_rewording(sentence):
    assert [f.sentence for f in lint.lint(sentence) if f.id == "L-11"] == [sentence]


@pytest.mark.parametrize(("rule_id", "sentence"), [
    ("L-1", "Using our website is not treated as consent to anything."),
    ("L-2", "We ask for your separate consent before we process sensitive personal "
            "information, and you may refuse it."),
    ("L-5", "We may provide it where necessary to protect a natural person's life, health or "
            "property in an emergency."),
    ("L-11", "Withdrawal does not affect the lawfulness of processing carried out before it."),
    ("L-11", "If you withdraw consent, we will delete the information stored on its basis."),
])
def test_compliant_wording_is_not_flagged(rule_id, sentence):
    assert rule_id not in _ids(sentence)


# --- Chinese text -----------------------------------------------------------------------

ZH = ("一、总则\n"
      "您使用我们的服务即视为您同意本隐私政策的全部内容。使用本网站不会被视为同意。\n"
      "六、您的权利\n"
      "6.4 撤回授权。您撤回授权后，我们将不再收集相关信息；"
      "但撤回授权不影响我们此前基于您的授权已存储的个人信息。\n"
      "6.5 注销账户。我们将根据您的使用情况决定是否支持您的注销申请。\n")


def test_d_policy_lint_reads_a_chinese_text():
    found = {(f.id, f.section, f.sentence) for f in lint.lint(ZH) if f.severity == "conflict"}
    assert found == {
        ("L-1", "§I", "您使用我们的服务即视为您同意本隐私政策的全部内容。"),
        ("L-11", "§6.4", "但撤回授权不影响我们此前基于您的授权已存储的个人信息。"),
        ("L-12", "§6.5", "我们将根据您的使用情况决定是否支持您的注销申请。"),
    }


@pytest.mark.parametrize(("rule_id", "sentence"), [
    ("L-2", "您同意我们按照本政策处理您的敏感个人信息。"),
    ("L-3", "我们会收集您的应用安装列表和传感器信息。"),
    ("L-5", "为维护本公司合法权益，我们可能向第三方提供您的个人信息。"),
])
def test_d_policy_lint_chinese_patterns(rule_id, sentence):
    assert [f.sentence for f in lint.lint(sentence) if f.id == rule_id] == [sentence]


def test_chinese_missing_items_are_satisfied_by_chinese_wording():
    text = ZH + ("未经父母或其他监护人同意，我们不会收集不满十四周岁未成年人的个人信息。\n"
                 "如您对答复不满意，可以向网信部门投诉，或向人民法院提起诉讼。\n")
    ids = _ids(text)
    assert "L-13b" not in ids and "L-13e" not in ids
    assert {"L-13b", "L-13e"} <= _ids(ZH)


def test_sentences_split_on_english_and_chinese_punctuation():
    paragraph = lint.parse("Intron Technology (China) Co., Ltd. is the handler, e.g. for the "
                           "website. We act; you choose! 我们收集信息。您可以撤回；好吗？")[0]
    assert [s.text for s in lint.split_sentences(paragraph)] == [
        "Intron Technology (China) Co., Ltd. is the handler, e.g. for the website.",
        "We act;", "you choose!", "我们收集信息。", "您可以撤回；", "好吗？"]


# --- the command ------------------------------------------------------------------------

def _run(*args):
    out = io.StringIO()
    try:
        call_command("policy", "lint", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def test_d_policy_lint_command_json_and_exit_1_on_the_shipped_policy():
    code, out = _run(str(ORIGINAL), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["needs_fix"] is True
    assert report["counts"]["missing"] == 5 and report["counts"]["editorial"] == 5
    first = report["findings"][0]
    assert set(first) == {"id", "item", "severity", "article", "title", "section", "sentence",
                          "advice", "detail"}
    assert first["id"] == "L-1" and first["section"] == "§Preamble"


def test_d_policy_lint_command_exit_0_on_the_corrected_policy():
    code, out = _run(str(CORRECTED))
    assert code == 0
    assert out.strip().endswith("0 conflict, 0 missing, 0 editorial")


def test_d_policy_lint_command_exit_0_when_only_editorial(tmp_path):
    text = CORRECTED.read_text(encoding="utf-8")
    path = tmp_path / "policy.txt"
    path.write_text(text.replace("We take the protection", "We take ou protection"),
                    encoding="utf-8")
    code, out = _run(str(path))
    assert code == 0
    assert "E-14d  EDITORIAL" in out and "0 conflict, 0 missing, 1 editorial" in out


def test_d_policy_lint_command_text_block_names_everything():
    code, out = _run(str(ORIGINAL))
    assert code == 1
    block = out.split("\n\n")[0].splitlines()
    assert block[0] == "L-1  CONFLICT  PIPL Art. 14, 16  §Preamble"
    assert block[2] == ("  > By using the service or products of Intron, you are deemed to "
                        "agree to be bound by the terms and conditions hereof.")
    assert block[-1].startswith("  What to do: ")


def test_policy_lint_command_unreadable_file_exits_2(tmp_path):
    code, _ = _run(str(tmp_path / "absent.txt"))
    assert code == 2


@pytest.mark.slow
def test_d_policy_lint_console_script_exit_codes():
    """The real `piwarden` process exits 1 with findings to fix and 0 on the corrected text."""
    piwarden = Path(sys.executable).parent / "piwarden"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "piwarden.settings"}
    bad = subprocess.run([str(piwarden), "policy", "lint", str(ORIGINAL), "--format", "json"],
                         capture_output=True, text=True, env=env, check=False)
    assert bad.returncode == 1, bad.stderr
    assert json.loads(bad.stdout)["counts"]["conflict"] >= 12
    good = subprocess.run([str(piwarden), "policy", "lint", str(CORRECTED)],
                          capture_output=True, text=True, env=env, check=False)
    assert good.returncode == 0, good.stderr
