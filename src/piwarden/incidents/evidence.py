"""The evidence pack (V-5.2): every control with its owner and its last test date.

One registry of controls; an app whose records prove a control was tested registers a
``last_tested`` reader (``register``). A control nothing records says "never tested" plainly
rather than hiding. Staff download the pack from the console or the API (JSON or HTML).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from piwarden.roles import registry as roles


@dataclass(frozen=True)
class Control:
    key: str
    name_en: str
    name_zh: str
    owner: str  # a role key of roles.registry
    evidence_en: str
    evidence_zh: str
    max_age_days: int
    last_tested: Callable[[], datetime.date | datetime.datetime | None]


_CONTROLS: dict[str, Control] = {}


def register(control: Control) -> None:
    _CONTROLS[control.key] = control


def controls() -> list[Control]:
    return [_CONTROLS[key] for key in sorted(_CONTROLS)]


def _day(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value)
    return value


def pack(today: datetime.date | None = None) -> dict:
    """Each control: owner, last test date (China date), and whether it is due again."""
    today = today or timezone.localdate()
    rows = []
    for control in controls():
        last = _day(control.last_tested())
        state = ("never_tested" if last is None else
                 "overdue" if (today - last).days > control.max_age_days else "tested")
        owner = roles.get(control.owner)
        rows.append({"key": control.key, "name_en": control.name_en,
                     "name_zh": control.name_zh, "owner": control.owner,
                     "owner_en": owner.name_en, "owner_zh": owner.name_zh,
                     "evidence_en": control.evidence_en, "evidence_zh": control.evidence_zh,
                     "last_tested": last.isoformat() if last else None,
                     "max_age_days": control.max_age_days, "state": state})
    return {"generated_at": timezone.now().isoformat(), "controls": rows}


STATE_WORDS = {"tested": ("已测试", "Tested"), "overdue": ("已逾期", "Overdue"),
               "never_tested": ("从未测试", "Never tested")}


def html(today: datetime.date | None = None) -> str:
    data = pack(today)
    for row in data["controls"]:
        row["state_zh"], row["state_en"] = STATE_WORDS[row["state"]]
    return render_to_string("incidents/evidence_pack.html",
                            {"pack": data, "generated_at": timezone.localtime()})


def _chain_check():
    from piwarden.audit.models import ChainCheck

    return (ChainCheck.objects.filter(ok=True).order_by("-finished_at")
            .values_list("finished_at", flat=True).first())


def _drill():
    from piwarden.incidents.models import Drill

    return Drill.objects.order_by("-held_on").values_list("held_on", flat=True).first()


def _pipia():
    from piwarden.sharing.models import Assessment

    return (Assessment.objects.filter(decided_at__isnull=False).order_by("-decided_at")
            .values_list("decided_at", flat=True).first())


def _attestation():
    from piwarden.sharing.models import Attestation

    return (Attestation.objects.order_by("-attested_on")
            .values_list("attested_on", flat=True).first())


def _never():
    return None


for _control in (
    Control("audit.chain", "Audit trail integrity check", "审计日志完整性校验",
            roles.SECURITY_OFFICER, "Latest chain verification that found the trail intact.",
            "最近一次校验结果为完整的审计链校验。", 31, _chain_check),
    Control("incidents.drill", "Incident response drill", "安全事件应急演练",
            roles.SECURITY_OFFICER, "Latest drill record (GB/T 35273 10.1: yearly).",
            "最近一次演练记录（GB/T 35273 第10.1条：每年至少一次）。", 365, _drill),
    Control("sharing.pipia", "PI protection impact assessment", "个人信息保护影响评估",
            roles.PRIVACY_OFFICER, "Latest decided PIPIA (PIPL Art. 55-56).",
            "最近一次作出决定的个人信息保护影响评估（第五十五、五十六条）。", 365, _pipia),
    Control("sharing.attestation", "Processor compliance attestation", "受托方合规声明",
            roles.LEGAL, "Latest yearly attestation received from a processor (Art. 21).",
            "最近一次收到的受托方年度合规声明（第二十一条）。", 365, _attestation),
    Control("operations.backup_restore", "Backup restore test", "备份恢复测试",
            roles.SECURITY_OFFICER, "Nothing in piwarden records a restore test yet.",
            "piwarden 尚未记录备份恢复测试。", 365, _never),
    Control("compliance.audit", "PI protection compliance audit", "个人信息保护合规审计",
            roles.PRIVACY_OFFICER, "Nothing in piwarden records a compliance audit yet "
            "(Compliance Audit Measures, eff. 2025-05-01).",
            "piwarden 尚未记录合规审计（《个人信息保护合规审计管理办法》）。", 730, _never),
):
    register(_control)
