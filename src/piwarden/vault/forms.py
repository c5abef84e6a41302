"""The console's reveal form: a purpose the catalog allows for the field, and a reason.

Purposes that cover "all PI" (provision to authorities, a merger) are not offered: they arise
case by case, through the disclosure workflow, not from a console reveal.
"""

from django import forms

from piwarden.vault import selectors


class RevealForm(forms.Form):
    purpose = forms.ChoiceField(help_text="Why this value is needed; the subject's consent "
                                          "for this purpose is checked.")
    reason = forms.CharField(
        min_length=10, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E.g. the support ticket number and what the person asked for. It is kept "
                  "in the audit trail.",
    )

    def __init__(self, *args, category: str, held: frozenset[str] | None = None, **kwargs):
        """``held``: the purposes the staff member's roles hold (None: every purpose)."""
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [
            (p.key, f"{p.key} — {p.name_en}") for p in selectors.purposes_covering(category)
            if not selectors.covers_all_pi(p) and (held is None or p.key in held)
        ]

    def clean_reason(self):
        return " ".join(self.cleaned_data["reason"].split())
