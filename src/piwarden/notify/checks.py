"""What a campaign must look like: the checks ``services`` and the console's form share."""

from piwarden.errors import ServiceError
from piwarden.notify import audiences, templates
from piwarden.notify.models import Channel


class NotifyError(ServiceError):
    """A campaign refused (the shared ServiceError shape)."""


def check_fields(fields) -> dict:
    if not isinstance(fields, dict) or not all(
            lang in templates.LANGUAGES and isinstance(values, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())
            for lang, values in fields.items()):
        raise NotifyError("FIELDS_INVALID", "Fields are {language: {name: text}} for "
                          f"{', '.join(templates.LANGUAGES)}.")
    return {lang: dict(values) for lang, values in fields.items()}


def check_channels(channels) -> list[str]:
    if (not isinstance(channels, list) or not channels or len(set(channels)) != len(channels)
            or not set(channels) <= set(Channel.values)):
        raise NotifyError("CHANNELS_INVALID", "Channels are a list of distinct channels: "
                          f"{', '.join(Channel.values)}.")
    return list(channels)


def check_campaign(*, fields: dict, channels: list, audience: str,
                   audience_params: dict) -> None:
    """What ``create_campaign`` refuses, without writing (the console's form asks first)."""
    check_fields(fields)
    check_channels(channels)
    audiences.resolve(audience, audience_params)
