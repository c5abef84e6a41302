"""The operator's sites and services, their handlers, and discontinuation (docs/sites.md)."""
