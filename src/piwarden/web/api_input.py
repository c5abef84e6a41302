"""The one place where API input is checked, before any router or service sees it.

A JSON body, a query string and a form are refused with a 400 JSON error when they hold what
no field of the API accepts and the database or Python would choke on: JSON that is not JSON,
nesting deeper than ``MAX_DEPTH``, a lone UTF-16 surrogate (cannot be encoded), a NUL character
(PostgreSQL text refuses it), an integer outside signed 64 bits (no database column holds it),
or a non-finite number. ``piwarden.api`` installs ``InputParser`` as the NinjaAPI parser; a
router that reads the body itself (payments, to scan for card data first) calls ``load_json``.
"""

import json
import math
import re

from ninja.parser import Parser

from piwarden.api_errors import ApiError

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def _refuse(code: str, message: str):
    return ApiError(400, code, message)


def _parse_int(text: str) -> int:
    # The sign and 19 digits bound any signed 64-bit integer: refuse longer text unparsed.
    if len(text.lstrip("-")) > 19 or not INT_MIN <= int(text) <= INT_MAX:
        raise _refuse("NUMBER_OUT_OF_RANGE", "A number is outside the range the API accepts.")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _refuse("NUMBER_OUT_OF_RANGE", "A number is outside the range the API accepts.")
    return value


def _parse_constant(name: str):
    raise _refuse("INVALID_JSON", "The body is not valid JSON.")


def check_text(value: str) -> None:
    if _FORBIDDEN.search(value):
        raise _refuse("INVALID_CHARACTER",
                      "The request holds a character that is not allowed (NUL or a lone "
                      "UTF-16 surrogate).")


def check_value(data) -> None:
    """Walk a parsed value without recursion: depth, and every key and string."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _refuse("INPUT_TOO_DEEP", f"The body is nested deeper than {MAX_DEPTH}.")
            if isinstance(value, dict):
                for key in value:
                    check_text(key)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)


def load_json(body: bytes):
    """The parsed body, or a 400 ApiError saying what is wrong with it."""
    try:
        data = json.loads(body, parse_int=_parse_int, parse_float=_parse_float,
                          parse_constant=_parse_constant)
    except RecursionError:
        raise _refuse("INPUT_TOO_DEEP", f"The body is nested deeper than {MAX_DEPTH}.") from None
    except ValueError:  # also UnicodeDecodeError: the body is not UTF-8 JSON
        raise _refuse("INVALID_JSON", "The body is not valid JSON.") from None
    check_value(data)
    return data


class InputParser(Parser):
    """django-ninja's parser with the checks above, for bodies, query strings and forms."""

    def parse_body(self, request):
        return load_json(request.body)

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            check_text(key)
            for value in values:
                if isinstance(value, str):
                    check_text(value)
        return super().parse_querydict(data, list_fields, request)
