"""The policy's notices, sent by the notify engine: its templates, audiences and campaigns.

Called only from ``services`` (which audits); the campaign points back at its version
(``concerns``), so an acknowledgement can be recorded as the person's acceptance.
"""

from django.conf import settings
from django.urls import reverse

from piwarden.notify import audiences, hooks, templates
from piwarden.notify.templates import Template

MAJOR_CHANGE = "policy.major_change"
RECONSENT = "policy.reconsent"
HIGH_RISK = "policy.high_risk"
RECONSENT_AUDIENCE = "policy.not_accepted"
_FIELDS = ("version", "changes", "url")

templates.register(Template(
    MAJOR_CHANGE, required=_FIELDS,
    subject={"en": "Our privacy policy changes (version {{ version }})",
             "zh-hans": "我们的隐私政策发生重大变更（版本 {{ version }}）"},
    body={"en": "We changed our privacy policy. What changed:\n{{ changes }}\n\nRead it: {{ url }}"
                "\nPlease confirm that you have read this notice.",
          "zh-hans": "我们更新了隐私政策。变更内容：\n{{ changes }}\n\n阅读全文：{{ url }}\n"
                     "请确认您已阅读本通知。"},
    sms={"en": "Our privacy policy changed (version {{ version }}): {{ url }}",
         "zh-hans": "我们的隐私政策已变更（版本 {{ version }}）：{{ url }}"}))

templates.register(Template(
    RECONSENT, required=_FIELDS,
    subject={"en": "Your consent is needed: privacy policy version {{ version }}",
             "zh-hans": "需要您的同意：隐私政策版本 {{ version }}"},
    body={"en": "Our privacy policy changes in ways that need your explicit consent:\n"
                "{{ changes }}\n\nTo agree, open {{ url }} and choose \"I agree\". If you "
                "do not, you stay on the terms you accepted before; only the functions that "
                "need the change are unavailable to you.",
          "zh-hans": "我们的隐私政策发生了需要您明确同意的变更：\n{{ changes }}\n\n"
                     "如您同意，请打开 {{ url }} 并选择\"我同意\"。如您不同意，"
                     "您将继续适用此前接受的条款，仅依赖本次变更的功能将无法使用。"},
    sms={"en": "Your consent is needed for our privacy policy {{ version }}: {{ url }}",
         "zh-hans": "隐私政策 {{ version }} 需要您的同意：{{ url }}"}))

templates.register(Template(
    HIGH_RISK, required=("assessment", "risk", "measures", "url"),
    subject={"en": "A high risk in the processing of your personal information",
             "zh-hans": "您的个人信息处理存在高风险"},
    body={"en": "An impact assessment ({{ assessment }}) found a high risk: {{ risk }}\n"
                "What we do about it: {{ measures }}\nOur privacy policy: {{ url }}",
          "zh-hans": "个人信息保护影响评估（{{ assessment }}）发现高风险：{{ risk }}\n"
                     "我们采取的措施：{{ measures }}\n隐私政策：{{ url }}"},
    sms={"en": "A high risk was found in processing your data; see {{ url }}",
         "zh-hans": "您的个人信息处理存在高风险，详见 {{ url }}"}))


def _not_accepted(params: dict):
    """Account holders who have not accepted the version (those on earlier terms)."""
    from piwarden.accounts.models import Account
    from piwarden.policy.models import PolicyAcceptance
    from piwarden.subjects.models import SubjectStatus

    accepted = PolicyAcceptance.objects.filter(version__version=params.get("version", ""))
    return (Account.objects.filter(user__is_active=True, subject__status=SubjectStatus.ACTIVE)
            .exclude(subject__in=accepted.values("subject")).values_list("subject_id", flat=True))


audiences.register(RECONSENT_AUDIENCE, _not_accepted)


def _url(name: str, *args) -> str:
    return settings.PIWARDEN_SITE_URL.rstrip("/") + reverse(name, args=args)


def _fields(version, reconsent: bool = False) -> dict:
    """The changes in words; the link goes where the person acts: the policy page with its
    "I agree" for a re-consent, the diff page for a major change."""
    changes = version.classification.get("changes", [])
    url = _url("policy:current") if reconsent else _url("policy:diff", version.version)
    out = {}
    for lang in templates.LANGUAGES:
        lines = "\n".join(f"- {c['words'][lang]}" for c in changes if c["major"] or c["reduction"])
        out[lang] = {"version": version.version, "changes": lines, "url": url}
    return out


def create(*, actor, version, reconsent: bool = False):
    from piwarden.notify import services as notify

    zh = "隐私政策" if reconsent else "隐私政策重大变更"
    return notify.create_campaign(
        actor=actor, kind="policy_change", template=RECONSENT if reconsent else MAJOR_CHANGE,
        fields=_fields(version, reconsent),
        audience=RECONSENT_AUDIENCE if reconsent else "accounts.all",
        audience_params={"version": version.version} if reconsent else {},
        channels=["site", "email"], concerns=version, require_ack=True,
        title=f"{zh} {version.version} / Privacy policy {version.version}"
              + (" (re-consent)" if reconsent else " (major change)"))


def refresh(*, actor, version, campaign_id: str) -> None:
    from piwarden.notify import services as notify
    from piwarden.notify.models import Campaign

    notify.set_fields(actor=actor, campaign=Campaign.objects.get(pk=campaign_id),
                      fields=_fields(version, reconsent=True))


def on_acknowledged(*, actor, delivery) -> None:
    """notify's hook for "policy_change" campaigns: a major change's notice acknowledged is
    the version accepted; a re-consent notice read is not consent (see views.current)."""
    from piwarden.policy import services
    from piwarden.policy.models import PolicyVersion

    if PolicyVersion.objects.filter(notice_campaign=str(delivery.campaign_id)).exists():
        services.acknowledged(actor=actor, delivery=delivery)


hooks.on_acknowledged("policy_change", on_acknowledged)


def start(*, actor, campaign_id: str) -> None:
    from piwarden.notify import services as notify
    from piwarden.notify.models import Campaign

    notify.start(actor=actor, campaign=Campaign.objects.get(pk=campaign_id))


def create_high_risk(*, actor, assessment):
    """A draft for staff: the measures are theirs to write, so it cannot start before."""
    from piwarden.notify import services as notify

    fields = {lang: {"assessment": assessment.title, "risk": assessment.findings[:500],
                     "measures": "", "url": _url("policy:current")}
              for lang in templates.LANGUAGES}
    return notify.create_campaign(
        actor=actor, kind="policy_change", template=HIGH_RISK, fields=fields,
        audience="accounts.all", audience_params={}, channels=["site", "email"],
        concerns=assessment, require_ack=True,
        title=f"PIPIA high risk (major 6): {assessment.title}"[:200])
