"""Forms of the account pages: shapes only; the services validate and decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from piwarden.accounts.models import IdType


class SignUpForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone number"), max_length=32,
                            widget=forms.TextInput(attrs={"type": "tel",
                                                          "autocomplete": "tel"}))
    email = forms.CharField(label=_("E-mail"), max_length=254,
                            widget=forms.TextInput(attrs={"type": "email",
                                                          "autocomplete": "email"}))
    password = forms.CharField(label=_("Password"), max_length=256, strip=False,
                               help_text=_("At least 8 characters. Not a common password, "
                                           "and not your phone number or e-mail name."),
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "new-password"}))


class LoginForm(forms.Form):
    identifier = forms.CharField(label=_("Mobile phone number or e-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), max_length=256, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}))
    otp = forms.CharField(label=_("Authentication code (if two-factor authentication is on)"),
                          max_length=20, required=False,
                          widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}))


class ReauthForm(forms.Form):
    password = forms.CharField(label=_("Password"), max_length=256, strip=False,
                               required=False, widget=forms.PasswordInput)
    otp = forms.CharField(label=_("or an authentication code"), max_length=20, required=False)


class CodeForm(forms.Form):
    channel = forms.ChoiceField(choices=[("phone", _("Phone")), ("email", _("E-mail"))],
                                widget=forms.HiddenInput)
    code = forms.CharField(label=_("Code"), max_length=12, required=False)


class ValueForm(forms.Form):
    value = forms.CharField(label=_("Value"), max_length=200)


class AddressForm(forms.Form):
    province = forms.CharField(label=_("Province"), max_length=120)
    city = forms.CharField(label=_("City"), max_length=120)
    district = forms.CharField(label=_("District"), max_length=120, required=False)
    street = forms.CharField(label=_("Street address"), max_length=120)
    postcode = forms.CharField(label=_("Postcode"), max_length=12)


class NewContactForm(forms.Form):
    new_value = forms.CharField(label=_("New value"), max_length=254)
    code = forms.CharField(label=_("Code sent to the new value"), max_length=12,
                           required=False)


class PasswordForm(forms.Form):
    current_password = forms.CharField(label=_("Current password"), max_length=256,
                                       strip=False, widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("New password"), max_length=256, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete":
                                                                     "new-password"}))


class AvatarForm(forms.Form):
    file = forms.FileField(label=_("Image (JPEG, PNG, WebP or GIF)"))


class IdInfoForm(forms.Form):
    id_type = forms.ChoiceField(label=_("Type of ID document"), choices=[
        (IdType.PRC_RESIDENT_ID, _("PRC Resident Identity Card")),
        (IdType.PASSPORT, _("Passport")),
        (IdType.HK_MACAO_PERMIT, _("Mainland Travel Permit for Hong Kong/Macao residents")),
        (IdType.TAIWAN_PERMIT, _("Mainland Travel Permit for Taiwan residents")),
    ])
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    guardian_email = forms.CharField(
        label=_("Parent or guardian's e-mail (only if you are under 14)"), max_length=254,
        required=False)
    consent = forms.BooleanField(required=False)


class GuardianForm(forms.Form):
    id_number = forms.CharField(label=_("The child's ID number"), max_length=40)
    consent = forms.BooleanField(required=False, label=_(
        "I am this child's parent or legal guardian and I consent to the processing of the "
        "child's ID information for this service."))


class OtpForm(forms.Form):
    code = forms.CharField(label=_("Code from your authenticator app"), max_length=12)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=60)
