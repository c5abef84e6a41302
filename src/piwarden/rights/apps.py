from django.apps import AppConfig


def _json_object(value: str) -> str:
    """Request details: a JSON object of request id -> text (no length cap of plain text)."""
    import json

    from piwarden.vault.errors import InvalidValue

    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        raise InvalidValue("not JSON") from None
    if not isinstance(data, dict | list):
        raise InvalidValue("not a JSON object")
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _mask_nothing(value: str) -> str:
    return "••••••"


class RightsConfig(AppConfig):
    name = "piwarden.rights"
    verbose_name = "Rights requests"

    def ready(self):
        from piwarden.rights import services, subject_data
        from piwarden.subjects import registry
        from piwarden.vault.fields import VaultField, register

        register(VaultField(services.DETAILS_FIELD, "user.rights_request",
                            normalize=_json_object, mask=_mask_nothing))
        register(VaultField(services.CONTACT_FIELD, "user.contact",
                            normalize=_json_object, mask=_mask_nothing))
        registry.register(subject_data.SOURCE)
        registry.register(subject_data.CHALLENGES)
        registry.register_retention(subject_data.RETENTION_KIND)
        registry.register_precheck("rights.open_requests", services.open_requests_precheck)
        registry.register_precheck("rights.legal_hold", services.legal_hold_precheck)
        try:
            from piwarden.subjectdata import services as subjectdata
        except ImportError:  # the engine is not installed: requests wait for staff
            return
        if hasattr(subjectdata, "on_done"):
            subjectdata.on_done(services.on_subjectdata_done)
