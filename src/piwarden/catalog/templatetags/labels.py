"""``{% load labels %}``: the template side of ``piwarden.catalog.labels``.

``{{ key|category_label }}``, ``{{ keys|categories_label }}``, ``{{ key|purpose_label }}``,
``{{ key|basis_label }}``, ``{{ key|recipient_label }}``, ``{{ scope|scope_label }}``,
``{{ iso|duration_label }}``, ``{{ kind|storage_kind_label }}``, ``{{ c|storage_category_label }}``,
``{{ p|party_label }}``, ``{{ code|error_label }}``, ``{{ dt|china_time }}``,
``{{ dt|china_date }}``, ``{{ text|redactions }}``.
An optional argument names the language: ``{{ key|category_label:"zh-hans" }}``.
"""

from django import template

from piwarden.catalog import labels

register = template.Library()

_FILTERS = {
    "category_label": labels.category,
    "categories_label": labels.categories,
    "purpose_label": labels.purpose,
    "purposes_label": labels.purposes,
    "basis_label": labels.basis,
    "recipient_label": labels.recipient,
    "scope_label": labels.scope,
    "duration_label": labels.duration,
    "storage_kind_label": labels.storage_kind,
    "storage_category_label": labels.storage_category,
    "party_label": labels.party,
    "provider_label": labels.provider,
    "grade_label": labels.grade,
    "country_label": labels.country,
    "error_label": labels.error,
    "key_label": labels.any_key,
    "address_label": labels.address,
    "recipient_role_label": labels.recipient_role,
    "china_time": labels.china_time,
    "china_date": labels.china_date,
    "redactions": labels.redactions,
}


def _make(func):
    def apply(value, lang=None):
        return func(value, lang or None)
    apply.__doc__ = func.__doc__
    return apply


for _name, _func in _FILTERS.items():
    register.filter(_name, _make(_func), is_safe=False)
