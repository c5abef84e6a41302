from typing import Any

from ninja import Field, Schema

EXAMPLE = {
    "event_id": "7f8c2a1e-0001", "kind": "page_view", "occurred_at": "2026-11-25T08:00:00+08:00",
    "subject": "3f1d9c4e-8a7b-4c2d-9e6f-1a2b3c4d5e6f",
    "data": {"url": "https://www.example.cn/products?page=2&utm_source=x", "ip": "203.0.113.7",
             "user_agent": "Mozilla/5.0 …", "duration_ms": 5300},
}


class EventBatchIn(Schema):
    """Events are checked one by one (a bad event is rejected, the others stored), so each is a
    free-form object here; docs/collection.md describes its fields."""

    events: list[dict[str, Any]] = Field(..., max_length=1000, examples=[[EXAMPLE]])


class EventResultOut(Schema):
    event_id: str
    status: str
    code: str | None = None
    dropped: list[str] | None = None


class EventBatchOut(Schema):
    stored: int
    duplicates: int
    rejected: int
    dropped: dict[str, int]
    results: list[EventResultOut]
