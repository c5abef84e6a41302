"""Lint a privacy-policy text against PIPL (`piwarden policy lint FILE`, docs/policy-lint.md).

The text is cut into paragraphs (each knows its section number, e.g. §4.1(1)c) and sentences
(English and Chinese punctuation); the rules in lint_rules.py are run over them. A finding
quotes the sentence so that the person fixing the text finds it without line numbers.
"""

import json
import re
from dataclasses import asdict, dataclass
from functools import cache

from piwarden.policy.lint_rules import (
    CONFLICT,
    EDITORIAL,
    GENERIC_NAME_WORDS,
    MISSING,
    RULES,
    TYPOS,
    Rule,
)

_ROMAN_OF = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_ROMAN = {chr(0x215F + i): r for i, r in enumerate(_ROMAN_OF) if r}  # U+2160 on
_ZH_NUM = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}

_HEADING = re.compile(r"^(?P<n>[IVX]{1,4}|[\u2160-\u2169]|[一二三四五六七八九十])\s*[.、\uff0e]\s*"
                      r"(?P<rest>\S.*)$")
_CLAUSE = re.compile(r"^(?P<n>\d{1,2}\.\d{1,2})\.?(?!\d)\s*(?P<rest>.*)$")
_ZH_CLAUSE = re.compile(r"^（(?P<n>[一二三四五六七八九十])）\s*(?P<rest>.*)$")
_ITEM = re.compile(r"^(\((?P<p>\d{1,2})\)|（(?P<f>\d{1,2})）|(?P<b>\d{1,2})[)）、])\s*"
                   r"(?P<rest>.*)$")
_LETTER = re.compile(r"^(?P<l>[a-z])\)\s*(?P<rest>.*)$")
_ENDS = ".;:!?。；：！？"
_BOUNDARY = re.compile(r"[。；！？]+[\u201d\u2019」』）)]*|[.;!?]+[\"\u201d\u2019)]*(?=\s|$)")
_ABBREVIATIONS = {"co", "ltd", "e.g", "i.e", "no", "art", "mr", "ms", "mrs", "dr", "inc",
                  "vs", "para", "cf", "approx"}
_EMAIL = re.compile(r"[\w.+-]+@(?P<domain>[\w-]+(?:\.[\w-]+)+)")
_COMPANY = re.compile(r"\b([A-Z][\w&-]*(?: +(?:[A-Z][\w&-]*|\([A-Z][\w ]*\)))*) +"
                      r"(?:Co\.,? *Ltd\.?|Limited|Inc\.|Corporation|GmbH)")


@dataclass(frozen=True)
class Paragraph:
    index: int
    section: str
    clause_title: str
    number: int | None  # the list item number, for the numbering check
    heading: bool
    raw: str  # as written, numbering included
    body: str  # without its numbering


@dataclass(frozen=True)
class Sentence:
    text: str
    paragraph: Paragraph


@dataclass(frozen=True)
class Finding:
    id: str
    item: str
    severity: str
    article: str
    title: str
    section: str | None
    sentence: str | None
    advice: str
    detail: str = ""


def lint(text: str) -> list[Finding]:
    """Every finding in the text, in rule order."""
    paragraphs = parse(text)
    sentences = [s for p in paragraphs for s in split_sentences(p)]
    findings: list[Finding] = []
    for rule in RULES:
        if rule.severity == CONFLICT:
            findings += _conflicts(rule, sentences)
        elif rule.severity == MISSING:
            findings += _missing(rule, sentences)
        else:
            findings += _EDITORIAL_CHECKS[rule.check](rule, paragraphs, sentences)
    return findings


def needs_fix(findings: list[Finding]) -> bool:
    """True when a finding is a conflict with the law or a missing item (not editorial)."""
    return any(f.severity != EDITORIAL for f in findings)


def parse(text: str) -> list[Paragraph]:
    """Paragraphs with their section labels. A line is a paragraph unless it continues a
    long line that did not end a sentence (hard-wrapped text)."""
    lines: list[str] = []
    joinable = False
    for line in text.replace("\r\n", "\n").split("\n"):
        line = " ".join(line.split())
        if not line:
            joinable = False
            continue
        if joinable and not _numbered(line):
            lines[-1] += ("" if _cjk(lines[-1][-1]) else " ") + line
        else:
            lines.append(line)
        last = lines[-1]
        joinable = (last[-1] not in _ENDS and not _HEADING.match(last)
                    and sum(2 if _cjk(c) else 1 for c in last) > 40)  # short: a title
    state = {"roman": "", "clause": "", "title": "", "item": None, "letter": ""}
    return [_paragraph(i, line, state) for i, line in enumerate(lines)]


def _paragraph(index: int, line: str, s: dict) -> Paragraph:
    number, heading = None, False
    if m := _HEADING.match(line):
        heading = True
        n = m["n"]
        s.update(roman=_ROMAN.get(n) or (_ROMAN_OF[_ZH_NUM[n]] if n in _ZH_NUM else n),
                 clause="", title=m["rest"], item=None, letter="")
        body = m["rest"]
    elif (m := _CLAUSE.match(line)) or (m := _ZH_CLAUSE.match(line)):
        n = m["n"] if m.re is _CLAUSE else f"{_arabic(s['roman'])}.{_ZH_NUM[m['n']]}"
        body = m["rest"]
        s.update(clause=n, title=body[:80], item=None, letter="")
    elif m := _ITEM.match(line):
        number = int(m["p"] or m["f"] or m["b"])
        s.update(item=number, letter="")
        body = m["rest"]
    elif m := _LETTER.match(line):
        s.update(letter=m["l"])
        body = m["rest"]
    else:
        s.update(item=None, letter="")
        body = line
    section = "§" + (s["clause"] or s["roman"] or "Preamble")
    if s["item"] is not None:
        section += f"({s['item']})"
    section += s["letter"]
    return Paragraph(index, section, s["title"], number, heading, line, body)


def _arabic(roman: str) -> int:
    return _ROMAN_OF.index(roman) if roman in _ROMAN_OF else 0


def _numbered(line: str) -> bool:
    return bool(_HEADING.match(line) or _CLAUSE.match(line) or _ZH_CLAUSE.match(line)
                or _ITEM.match(line) or _LETTER.match(line))


def _cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def split_sentences(paragraph: Paragraph, text: str | None = None) -> list[Sentence]:
    """Cut at 。；！？ and at . ; ! ? followed by a space, but not after an abbreviation
    (Co., Ltd., e.g.) nor at a full stop followed by a lower-case word."""
    text = paragraph.body if text is None else text
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if m.group().startswith(".") and not _full_stop(text, m.start(), m.end()):
            continue
        piece = text[start:m.end()].strip()
        if piece:
            out.append(Sentence(piece, paragraph))
        start = m.end()
    if text[start:].strip():
        out.append(Sentence(text[start:].strip(), paragraph))
    return out


def _full_stop(text: str, dot: int, end: int) -> bool:
    word = re.search(r"([\w.]+)$", text[:dot])
    if word and word.group(1).lower() in _ABBREVIATIONS:
        return False
    after = text[end:].lstrip()
    return not after or not after[0].islower()


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def _matches(patterns: tuple[str, ...], text: str) -> bool:
    return any(_compiled(p).search(text) for p in patterns)


def _norm(text: str) -> str:
    return text.translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))


def _finding(rule: Rule, sentence: Sentence | None, detail: str = "") -> Finding:
    return Finding(rule.id, rule.item, rule.severity, rule.article, rule.title,
                   sentence.paragraph.section if sentence else None,
                   sentence.text if sentence else None, rule.advice, detail)


def _conflicts(rule: Rule, sentences: list[Sentence]) -> list[Finding]:
    paragraphs = {s.paragraph.index: s.paragraph.body for s in sentences}
    if rule.cured_by and any(_matches(rule.cured_by, _norm(p)) for p in paragraphs.values()):
        return []
    found = []
    for s in sentences:
        text = _norm(s.text)
        if not _matches(rule.patterns, text) or _matches(rule.unless, text):
            continue
        if rule.context and not _matches(rule.context, _norm(s.paragraph.clause_title + " "
                                                             + s.paragraph.body)):
            continue
        if rule.clause and not _matches(rule.clause, _norm(s.paragraph.clause_title)):
            continue
        found.append(_finding(rule, s))
    return found


def _missing(rule: Rule, sentences: list[Sentence]) -> list[Finding]:
    if any(_matches(rule.required, _norm(s.text)) for s in sentences):
        return []
    anchor = next((s for s in sentences if _matches(rule.anchor, _norm(s.text))), None)
    return [_finding(rule, anchor)]


def _duplicates(rule, paragraphs, sentences):
    seen: dict[str, str] = {}
    found = []
    for p in paragraphs:
        key = p.body.casefold()
        if p.heading or len(key) < 60:
            continue
        if key in seen:
            found.append(_finding(rule, split_sentences(p)[0],
                                  f"the whole paragraph repeats one in {seen[key]}"))
        seen.setdefault(key, p.section)
    return found


def _numbering(rule, paragraphs, sentences):
    found, previous = [], None
    for p in paragraphs:
        if p.number is not None and previous is not None and p.number != previous + 1:
            found.append(_finding(rule, split_sentences(p, p.raw)[0],
                                  f"item {p.number} follows item {previous}; expected "
                                  f"{previous + 1}"))
            previous += 1  # read it as the number it should have been
        elif p.number is not None:
            previous = p.number
        elif not _LETTER.match(p.raw):
            previous = None
    return found


def _stray_letters(rule, paragraphs, sentences):
    stray = re.compile(r"^([B-HJ-UWYZ])\s+(?=[A-Z][a-z])")
    return [_finding(rule, s, f'"{m.group(1)}" stands alone before the sentence')
            for s in sentences if (m := stray.match(s.text))]


def _typos(rule, paragraphs, sentences):
    found = []
    for s in sentences:
        for word in re.findall(r"\b[a-z]+\b", s.text):
            if word in TYPOS:
                found.append(_finding(rule, s, f'"{word}": did you mean "{TYPOS[word]}"?'))
    return found


def _contact_domain(rule, paragraphs, sentences):
    text = "\n".join(p.body for p in paragraphs)
    company = _COMPANY.search(text)
    if not company:
        return []
    words = {w for w in re.findall(r"[a-z]{3,}", company.group(1).lower())
             if w not in GENERIC_NAME_WORDS}
    if not words:
        return []
    found, reported = [], set()
    for s in sentences:
        for m in _EMAIL.finditer(s.text):
            domain = m["domain"].lower()
            if domain in reported or any(w in domain for w in words):
                continue
            reported.add(domain)
            owned = re.compile(re.escape(domain) + r"[^.;。；]{0,60}\b(owned|operated|"
                               r"registered|controlled|managed)\s+by", re.IGNORECASE)
            if not any(owned.search(t.text) for t in sentences):
                found.append(_finding(rule, s, f"{domain} does not contain "
                                      f"{' or '.join(sorted(words))}"))
    return found


_EDITORIAL_CHECKS = {"duplicates": _duplicates, "numbering": _numbering,
                     "stray_letters": _stray_letters, "typos": _typos,
                     "contact_domain": _contact_domain}


def _counts(findings: list[Finding]) -> dict[str, int]:
    return {k: sum(f.severity == k for f in findings) for k in (CONFLICT, MISSING, EDITORIAL)}


def to_json(findings: list[Finding], source: str) -> str:
    return json.dumps({"file": source, "counts": _counts(findings),
                       "needs_fix": needs_fix(findings),
                       "findings": [asdict(f) for f in findings]}, ensure_ascii=False,
                      indent=2)


def to_text(findings: list[Finding], source: str) -> str:
    blocks = []
    for f in findings:
        lines = [f"{f.id}  {f.severity.upper()}  {f.article}  {f.section or '(whole text)'}",
                 f"  {f.title} (requirements §4 item {f.item})"]
        if f.sentence and f.severity == MISSING:
            lines.append("  The text touches the topic only here:")
        if f.sentence:
            lines.append(f"  > {f.sentence}")
        elif f.severity == MISSING:
            lines.append("  (nothing in the text says it)")
        if f.detail:
            lines.append(f"  {f.detail}")
        lines.append(f"  What to do: {f.advice}")
        blocks.append("\n".join(lines))
    counts = _counts(findings)
    summary = (f"{source}: {counts[CONFLICT]} conflict, {counts[MISSING]} missing, "
               f"{counts[EDITORIAL]} editorial")
    return "\n\n".join([*blocks, summary]) + "\n"
