from django.apps import AppConfig


def normalize_message(value: str) -> str:
    """A message keeps its line breaks; trimmed, not empty, at most 2,000 characters."""
    from piwarden.vault.errors import InvalidValue

    if not isinstance(value, str):
        raise InvalidValue("the value must be a string")
    value = value.replace("\r\n", "\n").strip()
    if not value:
        raise InvalidValue("the value is empty")
    if len(value) > 2000:
        raise InvalidValue("the value is longer than 2000 characters")
    return value


def mask_message(value: str) -> str:
    """Nothing of the text: only its length."""
    return f"[{len(value)} characters]"


class LeadsConfig(AppConfig):
    name = "piwarden.leads"
    verbose_name = "Leads"

    def ready(self):
        from piwarden.leads import subject_data
        from piwarden.leads.models import Lead
        from piwarden.subjects import registry
        from piwarden.vault.fields import VaultField, register

        register(VaultField("leads_message", "inquiry.message", normalize=normalize_message,
                            mask=mask_message))
        registry.register(registry.Source(
            name="leads.requests", models=(Lead,), categories=subject_data.CATEGORIES,
            export=subject_data.export, erase=subject_data.erase))
        registry.register_retention(registry.Retention(
            name="leads.requests", activity="lead.callback_request",
            due=subject_data.due, expire=subject_data.expire))
