"""The purpose a staff member states before a console page shows PI."""

from django import forms
from django.utils.translation import gettext_lazy as _

from piwarden.staffreads import services


class PurposeForm(forms.Form):
    # A text field shown as a list: a purpose not offered reaches the gate, which refuses it
    # and audits the attempt (a form error would leave no trace).
    purpose = forms.CharField(label=_("Purpose"), max_length=64, widget=forms.Select,
                              help_text=_("Why you need this data now. Your roles and each "
                                          "person's consent are checked, and the read is "
                                          "recorded in the audit trail."))

    def __init__(self, *args, categories: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].widget.choices = [
            (p.key, services.localized(p)) for p in services.purposes_for(categories)]
