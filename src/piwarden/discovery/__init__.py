"""Finding personal information where nobody declared it (issue 18).

``scan(text)`` is the in-process detector: it needs no Django set-up and no model download.
"""

from piwarden.discovery.detect import TYPES, Finding, redact, scan

__all__ = ["TYPES", "Finding", "redact", "scan"]
