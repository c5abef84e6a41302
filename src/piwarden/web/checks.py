"""`piwarden check --deploy` warnings for settings that would put PI where it must not go."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Delivery backends that keep messages on this host (console, files): the demo's, never
# production's. The demo's message files are reached by an erasure; the others are not.
_LOCAL_EMAIL = ("console.EmailBackend", "filebased.EmailBackend",
                "piwarden.accounts.message_files.EmailBackend")
_LOCAL_SMS = ("ConsoleBackend", "FileBackend", "MessageFileBackend")


@register(Tags.security, deploy=True)
def messages_stay_out_of_logs(app_configs, **kwargs):
    """The demo keeps e-mail and SMS on this host (files under the data folder; console or a
    shared file if chosen); in production that keeps phone numbers, addresses and live codes
    where no gateway delivers them and, on the console, in the server's logs."""
    found = []
    backends = (settings.EMAIL_BACKEND, getattr(settings, "PIWARDEN_EMAIL_DELIVERY_BACKEND", ""))
    if any(backend.endswith(_LOCAL_EMAIL) for backend in backends):
        found.append(Warning(
            "E-mail is not sent: it is printed on the console or written to files on this "
            "host, with addresses and verification codes.",
            hint="Set PIWARDEN_EMAIL_HOST (and its siblings) to send through SMTP.",
            id="piwarden.W001"))
    if settings.PIWARDEN_SMS_BACKEND.endswith(_LOCAL_SMS):
        found.append(Warning(
            "SMS is not sent: it is printed on the console or written to files on this host, "
            "with phone numbers and verification codes.",
            hint="Set PIWARDEN_SMS_BACKEND to your SMS gateway's backend.",
            id="piwarden.W002"))
    return found
