"""Forms of the rights pages.

The request form has two steps and needs no JavaScript: step 1 picks the type (links to
``?type=…``), step 2 is ``NewRequestForm`` built for that one type, with only that type's
fields. A POST is read the same way: fields of another type are not fields of the form, so
the server ignores them.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piwarden.catalog import labels
from piwarden.catalog.models import DataCategory
from piwarden.rights.models import RequestType
from piwarden.rights.services import CORRECTABLE

FIELD_LABELS = {
    "name": pgettext_lazy("person", "Name"), "contact_other": _("Other contact"),
    "address": _("Address"),
    "user_name": _("User name"), "id_info": _("ID information"),
    "phone": _("Mobile phone number"), "email": _("E-mail"),
}
PERSON_TYPES = [(value, label) for value, label in RequestType.choices
                if value != RequestType.CANCELLATION]
# What each type is for, under its name on step 1.
TYPE_HINTS = {
    RequestType.ACCESS: _("We send you a link to a copy of everything we hold about you, "
                          "with a readable report."),
    RequestType.PORTABILITY: _("The same copy in machine-readable files (JSON and CSV), to "
                               "take to another service."),
    RequestType.CORRECTION: _("Something we hold about you is wrong or incomplete."),
    RequestType.DELETION: _("Delete some or all of your information."),
    RequestType.WITHDRAWAL: _("Take back a consent you gave us."),
    RequestType.EXPLANATION: _("Ask how and why we process your information."),
    RequestType.COMPLAINT: _("Tell us what went wrong."),
}
# The deletion checkboxes, in groups a person recognises (catalog keys of ``user.*``);
# a category not listed here goes under "Other information".
CATEGORY_GROUPS = (
    (_("About you"), ("user.name", "user.title", "user.id_info", "user.address",
                      "user.occupation", "user.minor")),
    (_("Contact details and account"), ("user.contact", "user.account", "user.credentials",
                                        "user.online_id")),
    (_("Money"), ("user.financial",)),
    (_("Activity, devices and preferences"), ("user.location", "user.device", "user.log",
                                              "user.communication", "user.preference",
                                              "user.profile", "user.survey")),
    (_("Records of your choices and requests"), ("user.consent", "user.partner_supplied",
                                                 "user.rights_request",
                                                 "user.disclosure_record")),
)
TEXT_LABELS = {
    RequestType.CORRECTION: _("The correct value"),
    RequestType.EXPLANATION: _("Your question"),
    RequestType.COMPLAINT: _("Your complaint"),
}


def person_type(value) -> str | None:
    """The request type a person may choose, or None."""
    return value if value in dict(PERSON_TYPES) else None


def deletable_categories() -> list[str]:
    return [key for key in DataCategory.objects.filter(key__startswith="user.")
            .order_by("key").values_list("key", flat=True) if key.count(".") == 1]


def granted_purposes(subject) -> list[str]:
    """The purposes the person has a consent on record for (what there is to withdraw)."""
    from piwarden.consent.models import Choice, ConsentState

    if subject is None:
        return []
    return sorted(set(ConsentState.objects.filter(subject=subject, choice=Choice.GRANT)
                      .values_list("purpose", flat=True)))


class NewRequestForm(forms.Form):
    """Step 2: the form of one request type (``type_``), with that type's fields only."""

    type = forms.ChoiceField(choices=PERSON_TYPES, widget=forms.HiddenInput)
    notice_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, type_: str, subject=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_ = type_
        self.fields["type"].initial = type_
        if type_ == RequestType.DELETION:
            keys = deletable_categories()
            self.fields["categories"] = forms.MultipleChoiceField(
                label=_("Data to delete"), required=False,
                help_text=_("Tick nothing to delete everything we hold about you."),
                choices=[(key, labels.category(key)) for key in keys],
                widget=forms.CheckboxSelectMultiple)
        elif type_ == RequestType.WITHDRAWAL:
            purposes = granted_purposes(subject)
            self.fields["purpose"] = forms.ChoiceField(
                label=_("Consent to withdraw"),
                choices=[(key, labels.purpose(key)) for key in purposes],
                error_messages={"required": _("Choose the consent to withdraw.")})
        elif type_ == RequestType.CORRECTION:
            self.fields["field"] = forms.ChoiceField(
                label=_("Information to correct"),
                choices=[("", "—")] + [(f, FIELD_LABELS[f]) for f in CORRECTABLE],
                error_messages={"required": _("Choose the information to correct.")})
        if type_ in TEXT_LABELS:
            self.fields["text"] = forms.CharField(
                label=TEXT_LABELS[type_], max_length=4000,
                widget=forms.Textarea(attrs={"rows": 4}))
        # the type's own field goes first, the hidden ones last
        order = [name for name in ("categories", "purpose", "field", "text") if name in self.fields]
        self.order_fields(order)

    def clean_type(self):
        if self.cleaned_data["type"] != self.type_:
            raise forms.ValidationError(_("Choose the type of request again."))
        return self.type_

    def category_groups(self) -> list[tuple[str, list]]:
        """The deletion checkboxes in their groups: (group name, [bound checkbox, …])."""
        if "categories" not in self.fields:
            return []
        boxes = {box.data["value"]: box for box in self["categories"]}
        groups, seen = [], set()
        for name, keys in CATEGORY_GROUPS:
            members = [boxes[key] for key in keys if key in boxes]
            seen.update(keys)
            if members:
                groups.append((name, members))
        other = [box for key, box in boxes.items() if key not in seen]
        if other:
            groups.append((_("Other information"), other))
        return groups

    def params(self) -> dict:
        data = self.cleaned_data
        params = {}
        if "categories" in self.fields:
            params["categories"] = data.get("categories") or []
        if "purpose" in self.fields:
            params["purpose"] = data.get("purpose")
        if "field" in self.fields:
            params["field"] = data.get("field")
        return params

    def text(self) -> str:
        return self.cleaned_data.get("text", "") if "text" in self.fields else ""


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

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the label is a sentence: no colon after it
        super().__init__(*args, **kwargs)
