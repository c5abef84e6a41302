"""Issue 17 point 3: the deletion certificate names the registry's sources and the reasons for
what is kept in words, in both languages, never as keys like ``vault.values``."""

import ast
from pathlib import Path

from django.utils import translation

from piwarden.subjectdata import source_labels
from piwarden.subjects import registry

SRC = Path(__file__).resolve().parents[2] / "src" / "piwarden"


def test_i17_3_every_registry_source_has_words_in_english_and_chinese():
    names = sorted(source.name for source in registry.sources())
    assert names and [name for name in names if name not in source_labels.SOURCES] == []
    for name in names:
        with translation.override("en"):
            english = source_labels.label(name)
        with translation.override("zh-hans"):
            chinese = source_labels.label(name)
        assert english != name and "." not in english.split(" (")[0]
        assert chinese != english, f"{name} has no Chinese words"


def test_i17_3_an_unknown_source_gets_readable_words_not_its_key():
    assert source_labels.label("somewhere.stored_items") == "Stored items"


def _kept_reasons() -> list[str]:
    """Every ``Kept(reason=…)`` written in the code (the texts certificates store)."""
    found = []
    for path in [*SRC.glob("*/subject_data.py"), SRC / "payments" / "services.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and "Kept" in (getattr(node.func, "id", ""),
                                                         getattr(node.func, "attr", "")):
                found += [kw.value.value for kw in node.keywords
                          if kw.arg == "reason" and isinstance(kw.value, ast.Constant)]
    return found


def test_i17_3_every_kept_reason_reads_as_words_in_both_languages():
    reasons = _kept_reasons()
    assert len(reasons) >= 10
    missing = [reason for reason in reasons if reason not in source_labels.KEPT_REASONS]
    assert missing == []
    for reason in reasons:
        with translation.override("zh-hans"):
            chinese = source_labels.reason(reason)
        assert chinese != reason and not chinese.isascii()
        with translation.override("en"):
            assert "consent.ledger" not in source_labels.reason(reason)
