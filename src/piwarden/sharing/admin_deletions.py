"""Staff console: deletions forwarded to recipients, oldest due first. A request whose
recipient has no deletion endpoint (or whose webhook failed) is forwarded by hand; staff then
record the recipient's confirmation here, through the same service as the API."""

from django import forms
from django.contrib import admin

from piwarden.audit.actors import Actor
from piwarden.outbox.models import Message
from piwarden.sharing import propagation
from piwarden.sharing.models import DeletionRequest, ForwardStatus

FIELDS = ("recipient", "reason", "subject", "reference", "erasure_run", "status", "asked_at",
          "due_at", "delivery", "confirmed_at", "confirmation")


class ConfirmForm(forms.ModelForm):
    confirmation = forms.CharField(
        required=False, max_length=200,
        help_text="The recipient's reference for its confirmation (letter, ticket, "
                  "certificate number). Filling it in records the deletion as confirmed.")

    class Meta:
        model = DeletionRequest
        fields = ["confirmation"]


class DeletionRequestAdmin(admin.ModelAdmin):
    form = ConfirmForm
    list_display = ("pk", "recipient", "reason", "status", "asked_at", "due_at", "delivery",
                    "confirmed_at")
    list_filter = ("status", "reason", "recipient")
    search_fields = ("=pk", "=reference", "=subject__id", "recipient")
    ordering = ("status", "due_at")
    fields = FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.status == ForwardStatus.CONFIRMED:
            return FIELDS
        return tuple(field for field in FIELDS if field != "confirmation")

    @admin.display(description="Delivery")
    def delivery(self, obj):
        message = Message.objects.filter(concerns_type=obj._meta.label_lower,
                                         concerns_id=str(obj.pk)).first()
        if message is None:
            return "by hand (no endpoint)" if obj.subject_id else "by hand"
        return f"webhook {message.get_status_display().lower()}" + (
            f" ({message.last_error})" if message.last_error else "")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("confirmation", "").strip():
            propagation.confirm(actor=Actor.staff(request.user), deletion_request=obj,
                                confirmation=form.cleaned_data["confirmation"])
