"""`piwarden check --deploy` warnings for settings that would put PI where it must not go."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def messages_stay_out_of_logs(app_configs, **kwargs):
    """The demo prints e-mail and SMS on the console; in production that puts phone numbers,
    addresses and live codes into the server's logs."""
    found = []
    backends = (settings.EMAIL_BACKEND, getattr(settings, "PIWARDEN_EMAIL_DELIVERY_BACKEND", ""))
    if any(backend.endswith("console.EmailBackend") for backend in backends):
        found.append(Warning(
            "E-mail is printed on the console, with addresses and verification codes.",
            hint="Set PIWARDEN_EMAIL_HOST (and its siblings) to send through SMTP.",
            id="piwarden.W001"))
    if settings.PIWARDEN_SMS_BACKEND.endswith("ConsoleBackend"):
        found.append(Warning(
            "SMS is printed on the console, with phone numbers and verification codes.",
            hint="Set PIWARDEN_SMS_BACKEND to your SMS gateway's backend.",
            id="piwarden.W002"))
    return found
