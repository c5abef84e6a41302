from django import forms
from django.utils.translation import gettext_lazy as _

from piwarden.accounts.models import IdType
from piwarden.payments.models import InvoiceType


class ProfileForm(forms.Form):
    """Every field optional: the person gives what a payment or invoice needs."""

    notice_version = forms.CharField(widget=forms.HiddenInput, required=False)
    invoice_type = forms.ChoiceField(label=_("Invoice for"), choices=[
        (InvoiceType.PERSONAL, _("Myself")), (InvoiceType.COMPANY, _("A company"))])
    name = forms.CharField(label=_("Name or title"), max_length=200, required=False)
    id_type = forms.ChoiceField(label=_("Type of ID document"), required=False, choices=[
        ("", "—"), (IdType.PRC_RESIDENT_ID, _("PRC Resident Identity Card")),
        (IdType.PASSPORT, _("Passport")),
        (IdType.HK_MACAO_PERMIT, _("Mainland Travel Permit for Hong Kong/Macao residents")),
        (IdType.TAIWAN_PERMIT, _("Mainland Travel Permit for Taiwan residents"))])
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False)
    bank_account = forms.CharField(label=_("Bank account number (for refunds)"), max_length=40,
                                   required=False)
    billing = forms.CharField(label=_("Billing information"), max_length=500, required=False)
    province = forms.CharField(label=_("Province"), max_length=50, required=False)
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    district = forms.CharField(label=_("District"), max_length=50, required=False)
    street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    invoice_title = forms.CharField(label=_("Invoice (fapiao) title"), max_length=200,
                                    required=False)
    tax_id = forms.CharField(label=_("Taxpayer ID (Unified Social Credit Code)"), max_length=30,
                             required=False)
    remarks = forms.CharField(label=_("Remarks"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    consent = forms.BooleanField(required=False)

    ADDRESS = ("province", "city", "district", "street", "postcode")

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items()
                if k not in (*self.ADDRESS, "consent", "notice_version") and v}
        address = {k: self.cleaned_data[k] for k in self.ADDRESS if self.cleaned_data[k]}
        if address:
            data["address"] = address
        return data
