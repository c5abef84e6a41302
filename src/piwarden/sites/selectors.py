"""Read queries: who provides each service (D-1.1), which services are listed publicly."""

from dataclasses import dataclass

from django.db.models import Prefetch

from piwarden.catalog import selectors as catalog
from piwarden.catalog.models import Recipient
from piwarden.policy import selectors as policy
from piwarden.sites.memo import Memo
from piwarden.sites.models import Offering, OfferingStatus, Site, SiteStatus


@dataclass(frozen=True)
class Handler:
    """The legal entity that actually provides a service: what notices name."""

    name_en: str
    name_zh: str
    contact: str
    key: str = ""  # the registry's recipient key; "" for the catalog's own handler

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh-hans" else self.name_en


def default_handler() -> Handler:
    """The handler at the top of the catalog (the operator itself), with its Chinese name
    from the policy in force when one is published."""
    release = catalog.latest_release()
    data = release.handler if release else {}
    name = data.get("legal_name", "")
    name_zh = name
    version = policy.current()
    if version is not None:
        names = (version.snapshot.get("handler") or {}).get("name") or {}
        name, name_zh = names.get("en") or name, names.get("zh-hans") or name_zh
    return Handler(name_en=name, name_zh=name_zh, contact=data.get("contact", ""))


def _registry_handler(recipient: Recipient | None, key: str) -> Handler:
    if recipient is None:
        return Handler(name_en=key, name_zh=key, contact="", key=key)
    return Handler(name_en=recipient.legal_name or recipient.name_en,
                   name_zh=recipient.legal_name or recipient.name_zh,
                   contact=recipient.contact, key=recipient.key)


def _bindings() -> dict:
    """``{"functions": {key: Handler}, "purposes": {key: Handler}, "default": Handler}`` from
    the services of active sites that are not ended."""
    default = default_handler()
    offerings = list(Offering.objects.filter(site__status=SiteStatus.ACTIVE)
                     .exclude(status=OfferingStatus.ENDED)
                     .select_related("handler").order_by("site__domain", "function"))
    keys = {o.handler.recipient for o in offerings if o.handler_id}
    recipients = {r.key: r for r in Recipient.objects.filter(key__in=keys)}
    functions: dict[str, Handler] = {}
    for offering in offerings:
        if offering.handler_id:
            key = offering.handler.recipient
            functions.setdefault(offering.function, _registry_handler(recipients.get(key), key))
        elif offering.default_handler:
            functions.setdefault(offering.function, default)
    purposes: dict[str, Handler] = {}
    for function in catalog_functions():
        handler = functions.get(function["key"])
        for purpose in function["purposes"]:
            if handler is not None:
                purposes.setdefault(purpose, handler)
    return {"functions": functions, "purposes": purposes, "default": default}


_memo = Memo(_bindings)


def handler_for_function(key: str) -> Handler:
    """The handler bound to the function's service; the catalog's handler when unbound."""
    bindings = _memo.get()
    return bindings["functions"].get(key, bindings["default"])


def handler_for_purpose(purpose_key: str) -> Handler:
    """The handler of the service that uses the purpose; the catalog's handler for purposes
    no service names (account, logs, rights requests…)."""
    bindings = _memo.get()
    return bindings["purposes"].get(purpose_key, bindings["default"])


def reset() -> None:
    _memo.reset()


def catalog_functions() -> list[dict]:
    release = catalog.latest_release()
    return release.functions if release else []


def public_sites():
    """Active sites with their listed services (active or ending), for /sites/ and the API."""
    listed = Offering.objects.filter(
        status__in=[OfferingStatus.ACTIVE, OfferingStatus.SUNSETTING]).select_related("handler")
    return (Site.objects.filter(status=SiteStatus.ACTIVE).select_related("policy_version")
            .prefetch_related(Prefetch("offerings", queryset=listed)))


_PROVIDED_BY = {"en": "Provided by {name}{contact}.", "zh-hans": "本服务由{name}提供{contact}。"}
_CONTACT = {"en": " (contact: {contact})", "zh-hans": "（联系方式：{contact}）"}


def provided_by(purpose_key: str, lang: str) -> str:
    """The sentence a notice adds to name the purpose's actual handler (D-1.1)."""
    handler = handler_for_purpose(purpose_key)
    contact = _CONTACT[lang].format(contact=handler.contact) if handler.contact else ""
    return _PROVIDED_BY[lang].format(name=handler.name(lang), contact=contact)
