from django import template
from django.utils import translation

register = template.Library()


@register.filter
def money(amount_minor, currency="CNY"):
    """Minor units (fen) as ``12.34 CNY`` (``12.34 元`` on a Chinese page); integers only,
    never floats."""
    amount = int(amount_minor or 0)
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    if currency == "CNY" and (translation.get_language() or "").startswith("zh"):
        currency = "元"
    return f"{sign}{whole}.{cents:02d} {currency}"
