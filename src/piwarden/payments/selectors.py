"""Read queries of the payments app. Transactions kept after an erasure (``restricted``) are
held only for the legal duty: no list here returns them."""

from piwarden.payments.models import Order, Transaction


def orders(subject):
    return Order.objects.filter(subject=subject)


def transactions(subject):
    return Transaction.objects.filter(subject=subject, restricted=False)
