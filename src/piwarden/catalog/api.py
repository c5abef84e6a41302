"""TEMPORARY STUB - replaced by the catalog implementation."""

from ninja import Router

router = Router(tags=["catalog"])
