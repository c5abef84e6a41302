"""Staff console: policy versions (read-only; a draft is made from the catalog and the terms
file, never typed in) with their diff, and the actions that call the services."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError
from piwarden.policy import render, services
from piwarden.policy.models import PolicyAcceptance, PolicyVersion
from piwarden.readonly_admin import ActionsOnlyAdmin, ReadOnlyAdmin


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ActionsOnlyAdmin):
    list_display = ["version", "status", "effective_at", "published_at", "major", "reductions"]
    list_filter = ["status"]
    readonly_fields = ["version", "status", "catalog_release", "previous", "effective_at",
                       "published_at", "published_by", "major", "reductions", "changes",
                       "reconsent_campaign", "notice_campaign", "created_at", "created_by"]
    fields = readonly_fields
    actions = ["draft_from_catalog", "configure_reconsent", "publish"]

    @admin.display(description=_("Major changes (§VIII)"))
    def major(self, obj):
        return "; ".join(render.major_names(obj.classification.get("major", []), "en")) or "—"

    @admin.display(description=_("Reductions of rights"))
    def reductions(self, obj):
        return len(obj.classification.get("reductions", []))

    @admin.display(description=_("Changes / 变更"))
    def changes(self, obj):
        rows = [(c["words"]["zh-hans"], c["words"]["en"],
                 (" · reduction" if c["reduction"] else "")
                 + "".join(f" · major ({n})" for n in c["major"]))
                for c in obj.classification.get("changes", [])]
        return format_html_join("", "<p>{}<br>{}<strong>{}</strong></p>", rows) or "—"

    def changelist_view(self, request, extra_context=None):
        """Drafting needs no selected row (the first version has none to select)."""
        if (request.method == "POST" and request.POST.get("action") == "draft_from_catalog"
                and not request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)):
            post = request.POST.copy()
            post.setlist(admin.helpers.ACTION_CHECKBOX_NAME,
                         [str(pk) for pk in PolicyVersion.objects.values_list("pk", flat=True)[:1]]
                         or ["0"])
            post["select_across"] = "0"
            request.POST = post
        return super().changelist_view(request, extra_context)

    def _apply(self, request, queryset, change, done: str):
        actor = Actor.staff(request.user)
        for version in queryset:
            try:
                change(actor, version)
                self.message_user(request, f"{version.version}: {done}.")
            except ServiceError as error:
                self.message_user(request, f"{version.version}: {error.code}: {error.message}",
                                  messages.WARNING)

    @admin.action(description=_("Draft the version the loaded catalog names"),
                  permissions=["change"])
    def draft_from_catalog(self, request, queryset):
        try:
            draft = services.create_draft(actor=Actor.staff(request.user))
        except ServiceError as error:
            self.message_user(request, f"{error.code}: {error.message}", messages.WARNING)
            return
        self.message_user(request, f"Draft {draft.version} made.")

    @admin.action(description=_("Configure the re-consent campaign"), permissions=["change"])
    def configure_reconsent(self, request, queryset):
        self._apply(request, queryset, lambda actor, v: services.configure_reconsent(
            actor=actor, version=v), "re-consent campaign configured")

    @admin.action(description=_("Publish"), permissions=["change"])
    def publish(self, request, queryset):
        self._apply(request, queryset,
                    lambda actor, v: services.publish(actor=actor, version=v), "published")


@admin.register(PolicyAcceptance)
class PolicyAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["subject_id", "version", "how", "accepted_at"]
    list_filter = ["how", "version"]
    readonly_fields = ["subject", "version", "how", "accepted_at"]
    fields = readonly_fields
