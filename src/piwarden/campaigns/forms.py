from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EntryForm(forms.Form):
    """What the paper form holds, plus its scan; used by the partner page and the console."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=100)
    title = forms.CharField(label=_("Title or form of address"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=32)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    occupation = forms.CharField(label=_("Occupational background"), required=False,
                                 max_length=100)
    notice_version = forms.CharField(label=_("Notice version printed on the form"),
                                     required=False, max_length=32)
    scan = forms.FileField(label=_("Scan of the signed consent form (PDF, JPEG or PNG)"),
                           required=False)


class PartnerLoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class CorrectForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)
    value = forms.CharField(label=_("New value"), required=False, max_length=254)
