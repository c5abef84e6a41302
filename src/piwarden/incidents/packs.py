"""The regulator report pack of one incident (PIPL Art. 57, the Reporting Measures): JSON
and a printable bilingual document (Chinese controlling). It holds counts, never a person."""

from django.template.loader import render_to_string
from django.utils import timezone

from piwarden.catalog.models import DataCategory, Grade
from piwarden.incidents import notices
from piwarden.incidents.models import AffectedPerson, Incident

SEVERITY_WORDS = {"extraordinary": ("特别重大", "Extraordinarily serious"),
                  "major": ("重大", "Major"), "serious": ("较大", "Serious"),
                  "general": ("一般", "General")}
STATUS_WORDS = {"open": ("处置中", "Open"), "contained": ("已控制", "Contained"),
                "closed": ("已关闭", "Closed")}
DECISION_WORDS = {"": ("尚未决定", "Not decided"), "notify": ("告知个人", "Notify the people"),
                  "not_notify": ("不告知个人（第五十七条第二款）",
                             "Do not notify (Art. 57 para 2)")}
EVENT_WORDS = {
    "created": ("登记事件", "Incident recorded"), "changed": ("更新事件信息", "Details changed"),
    "contained": ("事件已控制", "Contained"), "scoped": ("影响范围分析", "Impact scoped"),
    "decided": ("告知决定", "Notification decided"),
    "notice_drafted": ("起草告知", "Notice drafted"),
    "progress": ("处置进展更新", "Progress update"), "reported": ("向监管部门报告",
                                                             "Reported to the regulator"),
    "escalated": ("报告逾期升级", "Escalated: report overdue"), "closed": ("关闭事件", "Closed"),
}
ELEMENTS = (("cause", "事件原因", "Cause"), ("possible_harm", "可能造成的危害", "Possible harm"),
            ("measures_taken", "已采取的措施", "Measures taken"),
            ("advice", "个人可采取的措施", "What people can do"),
            ("remedies", "补救与救济途径", "Remedies"), ("contact", "联系方式", "Contact"))


def _iso(value):
    return value.isoformat() if value else None


def _counts(incident: Incident) -> tuple[dict, set[str]]:
    sensitive_keys = set(DataCategory.objects.filter(
        key__in=list(incident.category_counts), grade=Grade.SENSITIVE)
        .values_list("key", flat=True))
    sensitive = 0
    for categories in (AffectedPerson.objects.filter(incident=incident)
                       .values_list("categories", flat=True).iterator(chunk_size=2000)):
        sensitive += bool(sensitive_keys.intersection(categories))
    return {"people": incident.people_count, "per_category": incident.category_counts,
            "people_with_sensitive_pi": sensitive,
            "people_without_sensitive_pi": incident.people_count - sensitive}, sensitive_keys


def regulator_pack(incident: Incident) -> dict:
    """Everything the report names: level, categories, elements, counts, timeline, reports."""
    counts, sensitive_keys = _counts(incident)
    names = notices.category_names(incident.category_counts)
    keys = sorted(incident.category_counts)
    return {
        "incident": incident.pk, "title": incident.title, "summary": incident.summary,
        "severity": {"key": incident.severity, "zh": SEVERITY_WORDS[incident.severity][0],
                     "en": SEVERITY_WORDS[incident.severity][1]},
        "status": incident.status, "detected_at": _iso(incident.detected_at),
        "occurred": {"from": _iso(incident.occurred_from), "to": _iso(incident.occurred_to)},
        "compromised": {"kind": incident.principal_kind, "id": incident.principal_id},
        "rule_set": incident.rule_set, "report_due_at": _iso(incident.report_due_at),
        "categories": [{"key": key, "zh": zh, "en": en, "sensitive": key in sensitive_keys,
                        "people": incident.category_counts[key]}
                       for key, zh, en in zip(keys, names["zh-hans"], names["en"],
                                              strict=True)],
        **{field: {"zh": getattr(incident, field), "en": getattr(incident, f"{field}_en")}
           for field, _zh, _en in ELEMENTS},
        "notification": {"decision": incident.decision, "justification": incident.justification,
                         "decided_at": _iso(incident.decided_at),
                         "campaign": incident.notice_campaign},
        "counts": counts,
        "timeline": [{"at": _iso(e.at), "kind": e.kind, "actor": e.actor, "detail": e.detail}
                     for e in incident.events.all()],
        "progress_updates": [{"at": _iso(u.created_at), "zh": u.text_zh, "en": u.text_en}
                             for u in incident.updates.all()],
        "submissions": [{"authority": s.authority, "submitted_at": _iso(s.submitted_at),
                         "reference": s.reference, "receipt_sha256": s.receipt_sha256}
                        for s in incident.submissions.all()],
        "generated_at": _iso(timezone.now()),
    }


def regulator_html(incident: Incident) -> str:
    """The pack as a printable page, times in China time, words instead of codes."""
    pack = regulator_pack(incident)
    local = timezone.localtime
    return render_to_string("incidents/regulator_pack.html", {
        "incident": incident, "pack": pack,
        "severity": SEVERITY_WORDS[incident.severity],
        "status": STATUS_WORDS[incident.status], "decision": DECISION_WORDS[incident.decision],
        "elements": [(zh, en, getattr(incident, f), getattr(incident, f"{f}_en"))
                     for f, zh, en in ELEMENTS],
        "timeline": [(local(e.at), EVENT_WORDS.get(e.kind, (e.kind, e.kind)))
                     for e in incident.events.all()],
        "submissions": incident.submissions.all(), "updates": incident.updates.all(),
        "generated_at": local(timezone.now())})
