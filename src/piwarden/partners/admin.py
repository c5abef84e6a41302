"""Staff console: partners and their API clients (written through the services), imported
batches and records (read-only, PI masked, read for a stated purpose and audited)."""

from django import forms
from django.contrib import admin

from piwarden.audit.actors import Actor
from piwarden.catalog.models import Recipient, RecipientRole
from piwarden.partners import services
from piwarden.partners.models import ImportBatch, Partner, PartnerClient, PartnerRecord
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.staffreads.admin import PurposeBoundAdmin


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["recipient", "name", "is_active"]

    def clean_recipient(self):
        key = self.cleaned_data["recipient"]
        if not Recipient.objects.filter(key=key, retired=False,
                                        role=RecipientRole.INDEPENDENT_HANDLER).exists():
            raise forms.ValidationError("Choose a catalog recipient of role independent_handler.")
        return key


class PartnerClientInline(admin.TabularInline):
    model = PartnerClient
    fk_name = "partner"
    extra = 0
    readonly_fields = ["client", "counterparty"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    form = PartnerForm
    list_display = ["name", "recipient", "is_active", "created_at"]
    inlines = [PartnerClientInline]

    def get_readonly_fields(self, request, obj=None):
        return ["recipient"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            services.update_partner(actor=Actor.staff(request.user), partner=obj,
                                    name=obj.name, is_active=obj.is_active)
            return
        created = services.create_partner(actor=Actor.staff(request.user),
                                          recipient=obj.recipient, name=obj.name)
        obj.pk = created.pk


class PartnerClientForm(forms.ModelForm):
    class Meta:
        model = PartnerClient
        fields = ["client", "partner", "counterparty"]
        help_texts = {"counterparty": "For a partner, its own; for a recipient's client that "
                                      "confirms forwarded deletions, choose it here."}

    def clean(self):
        data = super().clean()
        if data.get("partner"):
            data["counterparty"] = data["partner"].counterparty
        return data


@admin.register(PartnerClient)
class PartnerClientAdmin(admin.ModelAdmin):
    form = PartnerClientForm
    list_display = ["client", "partner", "counterparty"]

    def save_model(self, request, obj, form, change):
        link = services.link_client(actor=Actor.staff(request.user), client=obj.client,
                                    partner=obj.partner, counterparty=obj.counterparty)
        obj.pk = link.pk


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "partner", "reference", "received", "stored", "duplicates",
                    "rejected", "received_at"]
    list_filter = ["partner"]


@admin.register(PartnerRecord)
class PartnerRecordAdmin(PurposeBoundAdmin, ReadOnlyAdmin):
    read_categories = ("user.partner_supplied",)
    mask_fields = tuple(services.FIELDS)
    list_display = ["external_id", "partner", "batch", "masked", "authorization_reference",
                    "authorized_on", "received_at"]
    list_filter = ["partner"]
    exclude = ["subject"]
    readonly_fields = ["masked"]

    @admin.display(description="PI (masked)")
    def masked(self, obj):
        values = [self.mask(obj, name) for name in self.mask_fields]
        return ", ".join(v for v in values if v != "—")
