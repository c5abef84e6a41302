"""TEMPORARY STUB - replaced by the catalog implementation."""


def summary() -> dict:
    return {}


def unknown_keys(*, categories=(), purposes=(), legal_bases=()) -> dict:
    return {}
