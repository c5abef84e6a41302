from django import forms
from django.utils.translation import gettext_lazy as _

from piwarden.catalog.models import DataCategory, Purpose
from piwarden.rights.models import RequestType
from piwarden.rights.services import CORRECTABLE

FIELD_LABELS = {
    "name": _("Name"), "contact_other": _("Other contact"), "address": _("Address"),
    "user_name": _("User name"), "id_info": _("ID information"),
    "phone": _("Mobile phone number"), "email": _("E-mail"),
}
PERSON_TYPES = [(value, label) for value, label in RequestType.choices
                if value != RequestType.CANCELLATION]


class NewRequestForm(forms.Form):
    type = forms.ChoiceField(label=_("What do you ask for?"), choices=PERSON_TYPES)
    categories = forms.MultipleChoiceField(
        label=_("Data to delete (none ticked: everything we hold about you)"), required=False,
        widget=forms.CheckboxSelectMultiple)
    purpose = forms.ChoiceField(label=_("Authorization to withdraw"), required=False)
    field = forms.ChoiceField(label=_("Information to correct"), required=False,
                              choices=[("", "—")] + [(f, FIELD_LABELS[f]) for f in CORRECTABLE])
    text = forms.CharField(label=_("Details (the correct value, your question or complaint)"),
                           required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    notice_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, lang: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        zh = lang.startswith("zh")
        self.fields["categories"].choices = [
            (c.key, (c.name_zh if zh else c.name_en) or c.key)
            for c in DataCategory.objects.filter(key__startswith="user.").order_by("key")
            if c.key.count(".") == 1]
        self.fields["purpose"].choices = [("", "—")] + [
            (p.key, (p.name_zh if zh else p.name_en) or p.key)
            for p in Purpose.objects.filter(retired=False).exclude(consent="none").order_by("key")]

    def params(self) -> dict:
        data = self.cleaned_data
        return {"categories": data.get("categories") or [], "purpose": data.get("purpose"),
                "field": data.get("field")}


class PublicStartForm(forms.Form):
    channel = forms.ChoiceField(label=_("Where should we send the code?"),
                                choices=[("email", _("E-mail")), ("phone", _("Mobile phone"))])
    value = forms.CharField(label=_("The e-mail address or mobile number you gave us"),
                            max_length=200)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=6, min_length=6)


class CancelForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account and its data will be cleared after the "
                "cooling-off period."))
    notice_version = forms.CharField(widget=forms.HiddenInput, required=False)
