"""The change log that SQLite processes poll to keep their caches fresh (docs/caches.md).

Rows are written by database triggers (see the migrations), never by Python: a consent write
costs no extra statement. PostgreSQL needs no table: its triggers send ``NOTIFY`` instead.
"""

from django.db import models


class Change(models.Model):
    """Something a cached decision depends on changed: one subject's state, or a whole slot
    (the catalog, the API clients, the exceptions on record)."""

    subject_id = models.CharField(max_length=36, blank=True, default="")
    slot = models.IntegerField(null=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "cache change"

    def __str__(self) -> str:
        return f"change {self.pk}"
