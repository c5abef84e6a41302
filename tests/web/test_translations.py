"""Issue 17, point 5: every msgid of piwarden's own code has a Simplified Chinese translation.

The msgids are collected from the source, not from the ``.po`` files (a string marked for
translation but never added to a catalog is exactly what this catches): templates through
Django's own template lexer (``templatize``: ``translate``, ``blocktranslate`` with plurals and
contexts), Python through ``ast`` (``gettext``, ``gettext_lazy``, ``_``, ``ngettext``,
``pgettext``, ``npgettext``, ``gettext_noop`` and their lazy forms), and the cookie banner's own
text tables in its script. They are looked up in the merged catalogs Django uses for
``zh-hans`` (the committed ``.mo`` files: no GNU gettext tools are needed at test time).
Django's own strings (the admin's) are not collected; piwarden's staff-console strings are.
"""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

import piwarden

SRC = Path(piwarden.__file__).parent
GETTEXT = {"gettext", "gettext_lazy", "_", "gettext_noop", "ugettext", "ugettext_lazy", "_lazy"}
NGETTEXT = {"ngettext", "ngettext_lazy", "ungettext", "ungettext_lazy"}
PGETTEXT = {"pgettext", "pgettext_lazy"}
NPGETTEXT = {"npgettext", "npgettext_lazy"}
CJK = re.compile(r"[\u3400-\u9fff]")


def _python_files():
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _template_files():
    for path in sorted(SRC.glob("*/templates/**/*")):
        if path.is_file() and path.suffix in (".html", ".txt", ".xml", ".md"):
            yield path


def _name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _const(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def python_msgids(path: Path) -> list[tuple[str, str | None, str | None, int]]:
    """``(msgid, plural, context, line)`` of each translation call in one Python file."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name, args = _name(node.func), [_const(a) for a in node.args]
        if name in GETTEXT and args[0] is not None:
            found.append((args[0], None, None, node.lineno))
        elif name in NGETTEXT and len(args) >= 2 and args[0] is not None:
            found.append((args[0], args[1], None, node.lineno))
        elif name in PGETTEXT and len(args) >= 2 and args[1] is not None:
            found.append((args[1], None, args[0], node.lineno))
        elif name in NPGETTEXT and len(args) >= 3 and args[1] is not None:
            found.append((args[1], args[2], args[0], node.lineno))
    return found


_CALL = re.compile(r"\b(gettext|ngettext|pgettext|npgettext)\(")
_STRING = re.compile(r"""\s*,?\s*(u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))""")


def template_msgids(path: Path) -> list[tuple[str, str | None, str | None, int]]:
    """The same for a template, read by Django's own lexer (what ``makemessages`` does)."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = []
    for call in _CALL.finditer(code):
        strings, at = [], call.end()
        while (literal := _STRING.match(code, at)) is not None:
            strings.append(ast.literal_eval(literal.group(1).removeprefix("u")))
            at = literal.end()
        name, line = call.group(1), code.count("\n", 0, call.start()) + 1
        if name == "gettext" and strings:
            found.append((strings[0], None, None, line))
        elif name == "ngettext" and len(strings) >= 2:
            found.append((strings[0], strings[1], None, line))
        elif name == "pgettext" and len(strings) >= 2:
            found.append((strings[1], None, strings[0], line))
        elif name == "npgettext" and len(strings) >= 3:
            found.append((strings[1], strings[2], strings[0], line))
    return found


def banner_tables(path: Path) -> list[tuple[dict, dict]]:
    """The (English, Chinese) text tables of a browser script."""
    text = path.read_text(encoding="utf-8")
    pairs = re.findall(r"\ben:\s*(\{[^{}]*\})\s*,\s*\"zh-hans\":\s*(\{[^{}]*\})", text)
    pairs += re.findall(r"===\s*\"en\"\s*\?\s*(\{[^{}]*\})\s*:\s*(\{[^{}]*\})", text)
    english_only = re.findall(r"\ben:\s*(\{[^{}]*\})(?!\s*,\s*\"zh-hans\")", text)

    def table(literal: str) -> dict:
        return dict(re.findall(r"([\w-]+)\s*:\s*\"((?:[^\"\\]|\\.)*)\"", literal))

    found = [(table(en), table(zh)) for en, zh in pairs]
    found += [(table(en), {}) for en in english_only]
    return found


def collected() -> dict[tuple[str, str | None, str | None], list[str]]:
    msgids: dict[tuple, list[str]] = {}
    for path in _python_files():
        for msgid, plural, context, line in python_msgids(path):
            msgids.setdefault((msgid, plural, context), []).append(
                f"{path.relative_to(SRC)}:{line}")
    for path in _template_files():
        for msgid, plural, context, line in template_msgids(path):
            msgids.setdefault((msgid, plural, context), []).append(
                f"{path.relative_to(SRC)}:{line}")
    return msgids


def _translated(catalog, msgid: str, plural: str | None, context: str | None) -> bool:
    key = f"{context}\x04{msgid}" if context else msgid
    return bool(catalog.get((key, 0)) if plural is not None else catalog.get(key))


def untranslated() -> list[str]:
    with translation.override("zh-hans"):
        catalog = trans_real.translation("zh-hans")._catalog
        missing = []
        for (msgid, plural, context), where in sorted(collected().items(), key=str):
            if not msgid.strip() or _translated(catalog, msgid, plural, context):
                continue
            missing.append(f"{msgid!r}" + (f" (plural {plural!r})" if plural else "")
                           + (f" [context {context!r}]" if context else "")
                           + f"  at {', '.join(where[:3])}")
    return missing


def test_i17_5_the_collector_reads_templates_python_and_plurals(tmp_path):
    """The collector finds translate, blocktranslate (singular and plural, with context),
    gettext_lazy, ngettext and pgettext: a msgid it missed would pass unnoticed."""
    page = tmp_path / "page.html"
    page.write_text('{% load i18n %}{% translate "Save" %}{% translate "May" context "month" %}'
                    '{% blocktranslate count n=k %}{{ n }} day{% plural %}{{ n }} days'
                    '{% endblocktranslate %}<p>not marked</p>', encoding="utf-8")
    found = {(m, p, c) for m, p, c, _line in template_msgids(page)}
    assert ("Save", None, None) in found
    assert ("May", None, "month") in found
    assert ("%(n)s day", "%(n)s days", None) in found
    module = tmp_path / "m.py"
    module.write_text("from django.utils.translation import gettext_lazy as _, ngettext, "
                      "pgettext\nA = _('One')\nB = ngettext('%(n)d file', '%(n)d files', 2)\n"
                      "C = pgettext('verb', 'Record')\n", encoding="utf-8")
    found = {(m, p, c) for m, p, c, _line in python_msgids(module)}
    assert found == {("One", None, None), ("%(n)d file", "%(n)d files", None),
                     ("Record", None, "verb")}


@pytest.mark.django_db
def test_i17_5_every_msgid_has_a_zh_hans_translation():
    """Every msgid of piwarden's templates and Python code is translated into Chinese in the
    merged catalogs; the list names each missing msgid and where it is used."""
    missing = untranslated()
    assert not missing, f"{len(missing)} msgids without a zh-Hans translation:\n" + \
        "\n".join(missing)


def test_i17_5_the_banner_texts_are_translated():
    """Each text table of the browser scripts has a Chinese twin with the same keys."""
    problems = []
    for path in sorted(SRC.glob("*/static/**/*.js")):
        for english, chinese in banner_tables(path):
            if not english:
                continue
            lost = sorted(set(english) - set(chinese))
            same = sorted(k for k in english if k in chinese and not CJK.search(chinese[k]))
            if lost or same:
                problems.append(f"{path.relative_to(SRC)}: untranslated keys {lost + same}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("msgid", "context", "chinese"), [
    ("Name", None, "姓名"),  # a person's name; a cookie's name has its own context
    ("Name", "person", "姓名"),
    ("Name", "cookie name", "名称"),
    ("Name or title", None, "姓名或名称"),
    ("Log out", "session", "退出登录"),  # "注销" is account cancellation only
    ("Cancel my account", None, "注销我的账户"),
    ("Advertising partner", None, "广告合作伙伴"),
])
def test_i17_5_words_people_confuse_are_translated_as_a_chinese_site_says_them(
        msgid, context, chinese):
    """A person's name is 姓名, logging out is 退出登录 (注销 is cancelling the account),
    and the catalog's "Advertising partner" is translated."""
    with translation.override("zh-hans"):
        said = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
    assert said == chinese


def test_i17_5_log_out_is_never_the_admin_s_plain_msgid():
    """Django's admin translates a plain "Log out" as 注销 (which reads as cancelling the
    account): piwarden's own code always says it with the "session" context."""
    assert ("Log out", None, None) not in collected()
