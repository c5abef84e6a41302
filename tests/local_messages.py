"""Where tests that walk the rights flows send what leaves the system: e-mail to Django's
locmem outbox, SMS to one file, exports, logos and message files into the test's folder."""

from piwarden.caches import freshness
from piwarden.rights import services as rights
from piwarden.subjectdata import services as subjectdata


def route_messages_locally(settings, tmp_path) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.FileBackend"
    settings.PIWARDEN_SMS_FILE = tmp_path / "sms.jsonl"
    settings.PIWARDEN_AVATAR_DIR = tmp_path / "avatars"
    settings.PIWARDEN_EXPORT_DIR = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path
    freshness.reset()
    # Another test module may have cleared the engine's callbacks: the rights app's must be there.
    subjectdata.on_done(rights.on_subjectdata_done)
