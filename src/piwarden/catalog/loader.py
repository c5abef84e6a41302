"""Reads a catalog file and reports every problem with its file, line and location.

Two passes: the structure (JSON Schema, plus duplicate YAML keys, which PyYAML would silently
merge), then, only if the structure is sound, the references between entries and the PIPL rules.
Line numbers come from the composed YAML node tree, so an error points at the offending line.
"""

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from piwarden import identifiers
from piwarden.subjects.models import SubjectKind

SCHEMA_FILE = Path(__file__).with_name("schema.json")
# libyaml when installed: the pure-Python parser takes most of a load's time.
_YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.location}: {self.message}"


class CatalogError(Exception):
    """The catalog file is not valid; ``problems`` lists every problem found, in line order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.location, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Catalog:
    """A valid catalog: the document as written, plus its categories flattened (parents first)."""

    data: dict
    sha256: str
    source: str
    categories: list[dict] = field(default_factory=list)


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def display_name(path: Path) -> str:
    """The path relative to the working directory when it is below it (``catalog/x.yaml``)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def location(path: tuple) -> str:
    """``("activities", 4, "categories", 2)`` → ``activities[4].categories[2]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


class _Report:
    """Collects problems for one file, turning document paths into line numbers."""

    def __init__(self, file: str):
        self.file = file
        self.lines: dict[tuple, int] = {}
        self.problems: list[Problem] = []

    def line(self, path: tuple) -> int:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def add(self, path: tuple, message: str, line: int | None = None) -> None:
        line = line if line is not None else self.line(path)
        self.problems.append(Problem(self.file, line, location(path), message))

    def fatal(self, line: int, where: str, message: str) -> "CatalogError":
        return CatalogError([Problem(self.file, line, where, message)])

    def map_lines(self, node: yaml.Node, path: tuple = ()) -> None:
        """Record the line of every node and report mapping keys given twice."""
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key, line = key_node.value, key_node.start_mark.line + 1
                if key in seen:
                    self.add((*path, key), f"duplicate key '{key}' (first given on line "
                             f"{seen[key]})", line)
                seen.setdefault(key, line)
                self.map_lines(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.map_lines(item, (*path, index))


def read(path: Path | str) -> Catalog:
    """Parse and validate a catalog file; raise CatalogError listing every problem."""
    path = Path(path)
    report = _Report(display_name(path))
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=_YAML)
        data = _YAML("").construct_document(node) if node is not None else None
    except OSError as exc:
        raise report.fatal(1, "(file)", f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise report.fatal(1, "(file)", f"not UTF-8: {exc.reason}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise report.fatal(line, "(yaml)", str(exc.problem or exc)) from None
    if node is not None:
        report.map_lines(node)
    _check_structure(data, report)
    if report.problems:
        raise CatalogError(report.problems)
    categories = _flatten(data["categories"])
    _check_references(data, categories, report)
    if report.problems:
        raise CatalogError(report.problems)
    return Catalog(data, hashlib.sha256(raw).hexdigest(), str(path), categories)


def _check_structure(data, report: _Report) -> None:
    for error in _validator().iter_errors(data):
        where = tuple(error.absolute_path)
        if error.validator == "required":
            for name in error.validator_value:
                if name not in error.instance:
                    report.add(where, f"missing required field '{name}'")
        elif error.validator == "additionalProperties":
            allowed = error.schema.get("properties", {})
            for name in error.instance:
                if name not in allowed:
                    report.add((*where, name), f"unknown field '{name}'")
        else:
            message = error.schema.get("x-message") if isinstance(error.schema, dict) else None
            value = json.dumps(error.instance, default=str, ensure_ascii=False)
            report.add(where, f"{value} {message}" if message else error.message)


def _flatten(entries: list[dict], parent: dict | None = None, path=("categories",)) -> list[dict]:
    """Categories parents first, each with its parent's key, document path and inherited grade."""
    flat = []
    for index, entry in enumerate(entries):
        item = {
            **{k: v for k, v in entry.items() if k != "children"},
            "parent": parent["key"] if parent else None,
            "grade": entry.get("grade") or (parent["grade"] if parent else None),
            "second_approver": entry.get("second_approver",
                                         parent["second_approver"] if parent else False),
            "path": (*path, index),
        }
        flat.append(item)
        flat.extend(_flatten(entry.get("children", []), item, item["path"] + ("children",)))
    return flat


def _index(entries: list[dict], section: str, report: _Report, paths=None) -> dict[str, dict]:
    """Entries by key, reporting keys declared twice."""
    by_key: dict[str, dict] = {}
    for index, entry in enumerate(entries):
        where = paths[index] if paths else (section, index)
        if entry["key"] in by_key:
            first = report.line(by_key[entry["key"]]["_path"] + ("key",))
            report.add((*where, "key"), f"duplicate key '{entry['key']}' (first declared on "
                       f"line {first})")
        else:
            by_key[entry["key"]] = {**entry, "_path": where}
    return by_key


def _check_recipient(key: str, recipient: dict, cats: dict, purposes: dict,
                     report: _Report) -> None:
    """A named recipient: legal name and country, a valid USCC for a PRC company (GB 32100
    check character), and an allowlist of known categories and purposes."""
    where = recipient["_path"]
    if recipient["status"] == "active" and not (recipient["legal_name"] and
                                                recipient["country"]):
        report.add((*where, "status"), f"recipient '{key}' is active but has no legal_name "
                   "or country; keep it a draft until it is named")
    uscc = recipient.get("uscc")
    if uscc and not identifiers.is_uscc(uscc):
        report.add((*where, "uscc"), f"'{uscc}' is not a valid Unified Social Credit Code "
                   "(its check character is wrong)")
    if (recipient["status"] == "active" and recipient["legal_name"]
            and recipient["country"] == "CN" and recipient["role"] != "authority" and not uscc):
        report.add((*where, "uscc"), f"recipient '{key}' is an active PRC company but has no "
                   "Unified Social Credit Code")
    for field_name, known, noun in (("categories", cats, "data category"),
                                    ("purposes", purposes, "purpose")):
        for i, item in enumerate(recipient.get(field_name) or []):
            if item not in known:
                report.add((*where, field_name, i), f"unknown {noun} '{item}'")


def _check_references(data: dict, categories: list[dict], report: _Report) -> None:
    bases = _index(data["legal_bases"], "legal_bases", report)
    cats = _index(categories, "categories", report, [c["path"] for c in categories])
    purposes = _index(data["purposes"], "purposes", report)
    systems = _index(data["systems"], "systems", report)
    recipients = _index(data["recipients"], "recipients", report)
    _index(data["processing_activities"], "processing_activities", report)
    subject_kinds = set(SubjectKind.values)

    for key, basis in bases.items():
        where = basis["_path"]
        if basis["pipl_13"] is None and not basis.get("only_with"):
            report.add((*where, "pipl_13"), f"legal basis '{key}' rests on no PIPL Art. 13 item; "
                       "name the bases it may only be used with in 'only_with'")
        for i, other in enumerate(basis.get("only_with", [])):
            if other not in bases:
                report.add((*where, "only_with", i), f"unknown legal basis '{other}'")
            elif bases[other]["pipl_13"] is None:
                report.add((*where, "only_with", i),
                           f"legal basis '{other}' rests on no PIPL Art. 13 item itself")

    for category in categories:
        _check_category(category, report)

    for purpose in purposes.values():
        if purpose["legal_basis"] not in bases:
            report.add(purpose["_path"] + ("legal_basis",),
                       f"unknown legal basis '{purpose['legal_basis']}'")
        if (purpose["consent"] == "separate") != bool(purpose.get("separate")):
            report.add(purpose["_path"] + ("separate",), "a purpose needs 'separate' (the PIPL "
                       "cases: sensitive, third_party, public_disclosure, cross_border) exactly "
                       "when its consent is 'separate'")

    _check_storage_items(data.get("storage_items", []), purposes, report)
    activities = {a["key"]: a for a in data["processing_activities"]}
    _check_collection(data.get("collection"), purposes, activities, cats, report)
    functions = _index(data.get("functions", []), "functions", report)
    for function in functions.values():
        for i, key in enumerate(function["purposes"]):
            if key not in purposes:
                report.add(function["_path"] + ("purposes", i), f"unknown purpose '{key}'")

    for key, recipient in recipients.items():
        _check_recipient(key, recipient, cats, purposes, report)

    refs = {"legal_bases": (bases, "legal basis"), "categories": (cats, "data category"),
            "systems": (systems, "system"), "recipients": (recipients, "recipient")}
    for index, activity in enumerate(data["processing_activities"]):
        where = ("processing_activities", index)
        if activity["purpose"] not in purposes:
            report.add((*where, "purpose"), f"unknown purpose '{activity['purpose']}'")
        for field_name, (known, noun) in refs.items():
            for i, key in enumerate(activity.get(field_name, [])):
                if key not in known:
                    report.add((*where, field_name, i), f"unknown {noun} '{key}'")
                elif field_name == "categories" and not known[key].get("collectable", True):
                    report.add((*where, field_name, i), f"data category '{key}' is marked not "
                               "collectable and may not be processed")
        for i, kind in enumerate(activity["data_subjects"]):
            if kind not in subject_kinds:
                report.add((*where, "data_subjects", i), f"unknown data subject kind '{kind}' "
                           f"(one of: {', '.join(sorted(subject_kinds))})")
        named = set(activity["legal_bases"])
        for i, key in enumerate(activity["legal_bases"]):
            needs = bases.get(key, {}).get("only_with")
            if needs and not named.intersection(needs):
                report.add((*where, "legal_bases", i), f"legal basis '{key}' has no PIPL Art. 13 "
                           f"basis of its own and may only be used together with: "
                           f"{', '.join(needs)}")


def _check_storage_items(items: list[dict], purposes: dict, report: _Report) -> None:
    """The cookie inventory: strictly necessary items need no consent, all others do."""
    seen: dict[tuple, int] = {}
    for index, item in enumerate(items):
        where, name = ("storage_items", index), (item["kind"], item["name"])
        if name in seen:
            report.add((*where, "name"), f"{item['kind']} '{item['name']}' is declared twice "
                       f"(first as storage_items[{seen[name]}])")
        seen.setdefault(name, index)
        purpose = purposes.get(item["purpose"])
        if purpose is None:
            report.add((*where, "purpose"), f"unknown purpose '{item['purpose']}'")
        elif (item["category"] == "necessary") != (purpose["consent"] == "none"):
            report.add((*where, "purpose"), f"a '{item['category']}' item cannot serve purpose "
                       f"'{item['purpose']}' (consent: {purpose['consent']}); only strictly "
                       "necessary items may go without consent")
        if item["party"] == "partner" and not item.get("provider"):
            report.add((*where, "provider"), "a partner's item must name its provider")


def _check_category(category: dict, report: _Report) -> None:
    where, key, parent = category["path"], category["key"], category["parent"]
    if parent is None and "." in key:
        report.add((*where, "key"), f"top-level category '{key}' must be a single word "
                   "(no dots)")
    elif parent is not None and key.rpartition(".")[0] != parent:
        report.add((*where, "key"), f"category '{key}' is not under its parent '{parent}' "
                   f"(expected '{parent}.<name>')")
    if parent is None and category["grade"] is None:
        report.add(where, f"top-level category '{key}' needs a grade")
    if category.get("anonymized") and category["grade"] in ("personal", "sensitive"):
        report.add(where, f"anonymized category '{key}' cannot be graded "
                   f"'{category['grade']}': anonymized data is not PI (PIPL Art. 4)")


def _covered(key: str, declared: list[str]) -> bool:
    """True when the category or one of its ancestors is among ``declared``."""
    while key:
        if key in declared:
            return True
        key = key.rpartition(".")[0]
    return False


def _check_collection(section: dict | None, purposes: dict, activities: dict, cats: dict,
                      report: _Report) -> None:
    """Event kinds the collection API accepts: each field maps to a collectable category that
    the kind's processing activity declares, so the catalog alone says what may be stored."""
    if section is None:
        return
    purpose = section.get("cross_device_purpose")
    if purpose is not None and purpose not in purposes:
        report.add(("collection", "cross_device_purpose"), f"unknown purpose '{purpose}'")
    seen: dict[str, int] = {}
    for index, kind in enumerate(section["event_kinds"]):
        where = ("collection", "event_kinds", index)
        if kind["kind"] in seen:
            report.add((*where, "kind"), f"event kind '{kind['kind']}' is declared twice (first "
                       f"as collection.event_kinds[{seen[kind['kind']]}])")
        seen.setdefault(kind["kind"], index)
        activity = activities.get(kind["activity"])
        if activity is None:
            report.add((*where, "activity"), f"unknown processing activity '{kind['activity']}'")
        for name, category in kind["fields"].items():
            at = (*where, "fields", name)
            if category not in cats:
                report.add(at, f"unknown data category '{category}'")
            elif not cats[category].get("collectable", True):
                report.add(at, f"data category '{category}' is marked not collectable")
            elif activity is not None and not _covered(category, activity["categories"]):
                report.add(at, f"data category '{category}' is not declared by processing "
                           f"activity '{activity['key']}'")
        fields = kind["fields"]
        if "ip" in fields and "ip" not in kind:
            report.add(where, "a kind with an 'ip' field must say how IPs are stored "
                       "('ip': truncate, pseudonymize or keep)")
        located = {"latitude", "longitude"} & set(fields)
        if len(located) == 1:
            report.add((*where, "fields"), "declare 'latitude' and 'longitude' together")
        if located and "location_precision" not in kind:
            report.add(where, "a kind with a location must set 'location_precision'")
        if kind.get("query_params") and not {"url", "referrer", "download"} & set(fields):
            report.add((*where, "query_params"), "'query_params' needs a url, referrer or "
                       "download field")
