"""The public contact form. Rules are in ``services``; this only shapes the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ContactForm(forms.Form):
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=32,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254,
                            widget=forms.TextInput(attrs={"type": "email",
                                                          "autocomplete": "email"}))
    name = forms.CharField(label=_("Name (optional)"), required=False, max_length=100)
    message = forms.CharField(label=_("Message (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 5, "cols": 50}))
    contact_ok = forms.BooleanField(label=_("You may contact me about this request."),
                                    required=False)
    notice_version = forms.CharField(widget=forms.HiddenInput, required=False)
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    # A honeypot: hidden from people, filled in by bots.
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))
