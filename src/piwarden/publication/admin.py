"""Staff console: make an item about a person, ask for their consent, publish, take down.
Every change goes through ``publication.services`` (audited); the form's clean step calls the
service, so a refusal shows on the form instead of failing the request."""

import functools

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError
from piwarden.publication import consents, services
from piwarden.publication.models import PublishedItem, Status

PUBLISH = "publication.publish_publisheditem"


class ItemForm(forms.ModelForm):
    image_upload = forms.FileField(required=False, label=_("Photo or image (JPEG or PNG)"))

    request = None
    result = None

    class Meta:
        model = PublishedItem
        fields = ["subject", "kind", "title_zh", "title_en", "body_zh", "body_en"]

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        if not self.instance._state.adding and self.instance.status != Status.DRAFT:
            self.result = self.instance  # fixed once consent was asked: nothing to change
            return
        data, actor = self.cleaned_data, Actor.staff(self.request.user)
        content = {k: data[k] for k in services.CONTENT_FIELDS}
        try:
            if self.instance._state.adding:
                self.result = services.create_item(actor=actor, subject=data["subject"],
                                                   image=data.get("image_upload"), **content)
            else:
                self.result = services.update_item(actor=actor, item=self.instance,
                                                   image=data.get("image_upload"), **content)
        except ServiceError as error:
            field = error.field if error.field in self.fields else None
            if error.field == "image":
                field = "image_upload"
            self.add_error(field, error.message)


@admin.register(PublishedItem)
class PublishedItemAdmin(admin.ModelAdmin):
    form = ItemForm
    list_display = ["__str__", "kind", "status", "consent", "published_at", "taken_down_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["subject"]
    actions = ["request_consent", "publish", "take_down"]
    readonly_fields = ["status", "consent", "consent_requested_at", "published_at",
                       "published_by", "taken_down_at", "takedown_reason", "created_by"]

    @admin.display(description=_("Consent holds"), boolean=True)
    def consent(self, obj):
        return consents.holds(obj) if obj.status != Status.DRAFT else None

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.status != Status.DRAFT:
            fields += [*ItemForm.Meta.fields]
        elif obj is not None:
            fields.append("subject")
        return fields

    def save_model(self, request, obj, form, change):
        """The service saved it in the form's clean step."""
        obj.__dict__.update({k: v for k, v in form.result.__dict__.items()
                             if not k.startswith("_")})

    def has_delete_permission(self, request, obj=None):
        return False  # erasure runs through the rights engine

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH)

    def _each(self, request, queryset, step, done: str):
        actor, count = Actor.staff(request.user), 0
        for item in queryset:
            try:
                step(actor=actor, item=item)
                count += 1
            except ServiceError as error:
                self.message_user(request, f"{item}: {error.message}", messages.ERROR)
        if count:
            self.message_user(request, f"{done}: {count}", messages.SUCCESS)

    @admin.action(description=_("Ask the person for consent (with a site message)"),
                  permissions=["change"])
    def request_consent(self, request, queryset):
        self._each(request, queryset, functools.partial(services.request_consent,
                                                        notify_person=True),
                   "Consent asked for")

    @admin.action(description=_("Publish (needs the person's consent)"),
                  permissions=["publish"])
    def publish(self, request, queryset):
        self._each(request, queryset, services.publish, "Published")

    @admin.action(description=_("Take down"), permissions=["publish"])
    def take_down(self, request, queryset):
        self._each(request, queryset, services.take_down, "Taken down")
