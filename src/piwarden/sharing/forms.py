"""The one choice a person makes about a recipient: grant or withdraw, one company at a time.

The page and the API both validate through this form, so both refuse the same things with the
same codes: a flow that is not among the person's offers (another person's choices, or a flow
that needs no consent, are never reachable by changing the id), a grant for a flow that is not
running, a withdrawal of nothing, and a notice version the person did not see.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.consent import services as consent
from piwarden.consent.models import Channel, ConsentEvent
from piwarden.sharing import labels

# HTTP status of each refusal, for the API.
STATUS = {"UNKNOWN_OFFER": 404, "FLOW_INACTIVE": 409, "NOT_GRANTED": 409,
          "NOTICE_OUTDATED": 409, "VALIDATION_ERROR": 422}


class RecipientConsentForm(forms.Form):
    flow = forms.IntegerField(min_value=1)
    choice = forms.ChoiceField(choices=[("grant", _("Grant")), ("withdraw", _("Withdraw"))])
    notice_version = forms.CharField(required=False, max_length=32)

    def __init__(self, data, *, subject, lang: str):
        super().__init__(data)
        self.subject, self.lang = subject, labels.language(lang)
        self.offer: labels.Offer | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        offer = labels.offer(self.subject, data["flow"], self.lang)
        if offer is None:
            raise ValidationError(_("That company is not among your choices."),
                                  code="UNKNOWN_OFFER")
        if data["choice"] == "grant" and not offer.active:
            raise ValidationError(_("This company does not receive data at the moment, so it "
                                    "cannot be granted."), code="FLOW_INACTIVE")
        if data["choice"] == "withdraw" and not offer.granted:
            raise ValidationError(_("There is no consent to withdraw."), code="NOT_GRANTED")
        if data.get("notice_version") and data["notice_version"] != offer.version:
            raise ValidationError(_("The privacy policy changed while you were reading. "
                                    "Please read the details again."), code="NOTICE_OUTDATED")
        self.offer = offer
        return data

    def refusal(self) -> tuple[int, str, str]:
        """(status, code, message) of the first problem, for the API's error body."""
        for errors in self.errors.as_data().values():
            for error in errors:
                code = error.code if error.code in STATUS else "VALIDATION_ERROR"
                return STATUS[code], code, " ".join(error.messages)
        return 422, "VALIDATION_ERROR", "The request is not valid."

    def save(self, *, channel: Channel, ip: str | None, user_agent: str) -> ConsentEvent:
        """Record the choice for this one recipient, with the notice exactly as shown."""
        offer = self.offer
        return consent.record(
            actor=Actor.person(self.subject), subject=self.subject, purpose=offer.purpose,
            choice=self.cleaned_data["choice"], scope=offer.scope,
            recipient=offer.flow.recipient, notice_text=offer.notice.text, channel=channel,
            ip=ip, user_agent=user_agent)
