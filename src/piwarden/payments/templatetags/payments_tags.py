from django import template

register = template.Library()


@register.filter
def money(amount_minor, currency="CNY"):
    """Minor units (fen) as ``12.34 CNY``; integers only, never floats."""
    amount = int(amount_minor or 0)
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d} {currency}"
