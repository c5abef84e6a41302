"""The audit trail in the staff console: searchable, filterable, never editable.

The list fits a 1280 px screen: newest first, a few narrow columns (long values cut, the full
text in ``title``), China time; the detail page holds the full record. A chain check queued
from the console is shown on its own page, which reloads itself until the worker has run it.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from piwarden.audit import services
from piwarden.audit.actors import Actor, ActorKind
from piwarden.audit.models import AuditEvent, AuditSubject, ChainCheck, Outcome
from piwarden.catalog import labels
from piwarden.readonly_admin import ReadOnlyAdmin

# The models' labels are English only: the console's words, translated.
OUTCOMES = {Outcome.SUCCESS: _("Success"), Outcome.DENIED: _("Denied"),
            Outcome.FAILED: _("Failed")}
ACTOR_KINDS = {ActorKind.PERSON: _("Person"), ActorKind.STAFF: _("Staff"),
               ActorKind.API_CLIENT: _("API client"), ActorKind.SYSTEM: _("System")}
# How often a page showing a queued chain check reloads itself (seconds).
CHECK_REFRESH_SECONDS = 3


def cut(text, limit: int, full=None):
    """``text`` cut to ``limit`` characters with an ellipsis; the whole of it in ``title``."""
    text = "" if text is None else str(text)
    full = text if full is None else str(full)
    if len(text) <= limit:
        return format_html('<span title="{}">{}</span>', full, text) if full != text else text
    return format_html('<span title="{}">{}…</span>', full, text[:limit - 1])


class ChoiceFilter(admin.SimpleListFilter):
    """A filter over a field's choices, in the console's translated words."""

    words: dict = {}

    def lookups(self, request, model_admin):
        return list(self.words.items())

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


class OutcomeFilter(ChoiceFilter):
    title = _("outcome")
    parameter_name = "outcome"
    words = OUTCOMES


class ActorKindFilter(ChoiceFilter):
    title = _("actor kind")
    parameter_name = "actor_kind"
    words = ACTOR_KINDS


class ResultFilter(admin.SimpleListFilter):
    title = _("result")
    parameter_name = "result"

    def lookups(self, request, model_admin):
        return [("intact", _("Intact")), ("broken", _("Broken")), ("pending", _("Queued"))]

    def queryset(self, request, queryset):
        value = {"intact": True, "broken": False, "pending": None}.get(self.value(), "")
        if value == "":
            return queryset
        return queryset.filter(ok__isnull=True) if value is None else queryset.filter(ok=value)


class PurposeFilter(admin.SimpleListFilter):
    """Purposes in words, the key beside them (the catalog's names, not raw keys)."""

    title = _("purpose")
    parameter_name = "purpose"

    def lookups(self, request, model_admin):
        keys = (model_admin.get_queryset(request).exclude(purpose="").order_by()
                .values_list("purpose", flat=True).distinct())
        return sorted(((key, f"{labels.purpose(key)} ({key})") for key in keys),
                      key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(purpose=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("number", "when", "action_short", "actor_short", "subject_short",
                    "purpose_short", "outcome_word")
    list_display_links = ("number", "when")
    # No filter by action: there are too many to list (search finds an action by its key).
    list_filter = (OutcomeFilter, ActorKindFilter, PurposeFilter)  # dates: date_hierarchy
    search_fields = ("=subject__id", "=actor_id", "=request_id", "=object_id", "action")
    date_hierarchy = "occurred_at"
    ordering = ("-seq",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return ["when", *(field.name for field in self.model._meta.fields), "people_named"]

    @admin.display(description=_("No."), ordering="seq")
    def number(self, obj):
        return obj.seq

    @admin.display(description=_("When (China time)"), ordering="occurred_at")
    def when(self, obj):
        moment = timezone.localtime(obj.occurred_at, labels.CHINA)
        return format_html('<span title="{}">{}</span>', moment.isoformat(),
                           labels.china_time(obj.occurred_at))

    @admin.display(description=_("Action"), ordering="action")
    def action_short(self, obj):
        return format_html("<code>{}</code>", cut(obj.action, 26))

    @admin.display(description=_("Actor"), ordering="actor_id")
    def actor_short(self, obj):
        kind = ACTOR_KINDS.get(obj.actor_kind, obj.actor_kind)
        full = f"{kind} ({obj.actor_kind}:{obj.actor_id})"
        if obj.actor_kind == ActorKind.PERSON and obj.actor_id == str(obj.subject_id or ""):
            return format_html('<span title="{}">{}</span>', full, gettext("The person"))
        ident = obj.actor_id
        if obj.actor_kind in (ActorKind.PERSON, ActorKind.API_CLIENT) and len(ident) > 8:
            ident = ident[:8]  # a UUID: its short form, as in the person column
        return cut(f"{kind} {ident}", 20, full)

    @admin.display(description=_("Person"), ordering="subject_id")
    def subject_short(self, obj):
        if not obj.subject_id:
            return "—"
        return format_html('<code title="{}">{}</code>', obj.subject_id, str(obj.subject_id)[:8])

    @admin.display(description=_("Purpose"), ordering="purpose")
    def purpose_short(self, obj):
        if not obj.purpose:
            return "—"
        return cut(labels.purpose(obj.purpose), 20, f"{labels.purpose(obj.purpose)} "
                   f"({obj.purpose})")

    @admin.display(description=_("Outcome"), ordering="outcome")
    def outcome_word(self, obj):
        word = OUTCOMES.get(obj.outcome, obj.outcome)
        if obj.outcome == Outcome.SUCCESS:
            return word
        return format_html('<strong class="audit-{}">{}</strong>', obj.outcome, word)

    @admin.display(description=_("People named (child rows)"))
    def people_named(self, obj):
        touched = obj.detail.get("touched") if isinstance(obj.detail, dict) else None
        if not touched:
            return "-"
        url = reverse("admin:audit_auditsubject_changelist") + f"?event__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, touched.get("count"))


@admin.register(AuditSubject)
class AuditSubjectAdmin(ReadOnlyAdmin):
    """Who each record's action touched; search by a person's id to see every record naming
    them."""

    list_display = ("event", "subject_id")
    search_fields = ("=subject__id", "=event__seq")
    list_select_related = ("event",)
    show_full_result_count = False
    raw_id_fields = ("event", "subject")

    def get_readonly_fields(self, request, obj=None):
        return ["event", "subject"]


def check_result(check: ChainCheck) -> str:
    """A check's result in words."""
    if check.ok is None:
        return gettext("Checking… (queued %(when)s)") % {
            "when": labels.china_time(check.requested_at)}
    if check.ok:
        return gettext("Intact: %(count)s records checked, head #%(seq)s") % {
            "count": check.checked, "seq": check.head_seq}
    return gettext("BROKEN at record #%(seq)s: %(problem)s") % {
        "seq": check.bad_seq, "problem": check.problem}


@admin.register(ChainCheck)
class ChainCheckAdmin(ReadOnlyAdmin):
    """Past verifications, and a button that queues a new one for the task worker. A page
    showing a queued check reloads itself every few seconds until its result is in."""

    list_display = ("requested", "requested_by", "result", "finished")
    list_filter = (ResultFilter,)
    readonly_fields = ("requested", "requested_by", "result", "finished", "checked", "head_seq",
                       "head_hash", "bad_seq", "problem")

    def changelist_view(self, request, extra_context=None):
        pending = ChainCheck.objects.filter(ok__isnull=True).exists()
        extra_context = {**(extra_context or {}),
                         "refresh_seconds": CHECK_REFRESH_SECONDS if pending else None}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        check = ChainCheck.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        pending = check is not None and check.ok is None
        extra_context = {**(extra_context or {}), "check": check,
                         "check_result": check_result(check) if check else "",
                         "refresh_seconds": CHECK_REFRESH_SECONDS if pending else None}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("Requested (China time)"), ordering="requested_at")
    def requested(self, obj):
        return labels.china_time(obj.requested_at)

    @admin.display(description=_("Finished (China time)"), ordering="finished_at")
    def finished(self, obj):
        return labels.china_time(obj.finished_at) or "—"

    @admin.display(description=_("Result"), ordering="ok")
    def result(self, obj):
        css = {None: "pending", True: "intact", False: "broken"}[obj.ok]
        return format_html('<span class="chain-{}" data-result="{}">{}</span>', css, css,
                           check_result(obj))

    def get_urls(self):
        run = path("run/", self.admin_site.admin_view(self.run_view), name="audit_chaincheck_run")
        return [run, *super().get_urls()]

    @method_decorator(require_POST)
    def run_view(self, request):
        if not request.user.has_perm("audit.add_chaincheck"):
            raise PermissionDenied
        check = services.request_check(actor=Actor.staff(request.user))
        check.refresh_from_db()
        if check.ok is None:
            self.message_user(request, gettext(
                "Verification %(id)s queued: this page shows its result as soon as the task "
                "worker has run it.") % {"id": check.pk}, messages.SUCCESS)
        else:
            level = messages.SUCCESS if check.ok else messages.ERROR
            self.message_user(request, check_result(check), level)
        if not self.has_view_permission(request, check):
            return redirect("admin:audit_chaincheck_changelist")
        return redirect("admin:audit_chaincheck_change", check.pk)
