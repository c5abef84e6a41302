"""Refusing card data before anything is stored (PCI DSS 3.2; policy §2.1(5)).

piwarden keeps a payment provider's token and the last four digits, never a card number
(PAN), a card verification code or a payment password. Every submitted field, known or not,
is scanned; a hit refuses the whole submission and names only the field, never the value.
"""

import re

from piwarden import identifiers

# A run of 13-19 digits, possibly grouped by single spaces or dashes, as cards are printed;
# not part of a longer token of letters and digits (an ID number ending in X, a tax id) nor
# the decimals of a number. Card numbers never start with 0 (ISO/IEC 7812 industry 0 is unused).
_DIGIT_RUN = re.compile(r"(?<![\dA-Za-z.])[1-9](?:[ -]?\d){12,18}(?![\dA-Za-z])")
_CVV_TEXT = re.compile(r"\b(?:cvv2?|cvc2?|cvn2?|cid|security\s*code)\b\D{0,5}\d{3,4}\b|"
                       r"安全码\D{0,5}\d{3,4}", re.IGNORECASE)
_PASSWORD_TEXT = re.compile(r"(?:pay(?:ment)?[\s_-]*(?:password|passcode|pin)|支付密码|交易密码)"
                            r"\W{0,3}\S+", re.IGNORECASE)
_FORBIDDEN_KEY = re.compile(r"(?:^|_)(?:card_?number|pan|cvv2?|cvc2?|cvn2?|security_?code|"
                            r"pay(?:ment)?_?(?:password|passcode|pin)|pin)$", re.IGNORECASE)
# The bank account number for invoices and refunds is declared PI (user.financial.bank_account):
# Chinese debit card numbers are bank account numbers and pass the Luhn check, so this one field
# is exempt from the card-number scan (it is still scanned for CVVs and passwords).
LUHN_EXEMPT = frozenset({"bank_account"})


def card_numbers(text: str) -> list[str]:
    """The Luhn-valid 13-19 digit card numbers in ``text`` (for scans of stores and logs).

    The Luhn check is the project's one (``identifiers.luhn_ok``). The card scheme
    (``identifiers.card_scheme``, which discovery also asks) is deliberately not required:
    refusing card data errs on the side of refusing, and cards outside the schemes it knows
    (an Agricultural Bank debit card starting 95599) are cards all the same."""
    found = []
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and identifiers.luhn_ok(digits):
            found.append(digits)
    return found


def refused_fields(data, path: str = "", exempt: frozenset[str] = LUHN_EXEMPT) -> list[str]:
    """Paths of the fields that hold card data (card number, CVV, payment password).

    ``exempt`` names fields whose own check (a bank account, or an ID number whose check digit
    was verified) rules a card number out, so a Luhn match there is not a card.
    """
    hits: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            if _FORBIDDEN_KEY.search(str(key)) and value not in (None, "", [], {}):
                hits.append(child)
            else:
                hits += refused_fields(value, child, exempt)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            hits += refused_fields(value, f"{path}[{index}]", exempt)
    elif data is not None and not isinstance(data, bool):
        text = str(data)
        leaf = path.rsplit(".", 1)[-1]
        if (leaf not in exempt and card_numbers(text)) or _CVV_TEXT.search(text) or \
                _PASSWORD_TEXT.search(text):
            hits.append(path)
    return hits
