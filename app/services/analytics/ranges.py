"""The date range of the analytics page and API: preset lengths or from/to, in UTC days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.models.base import utcnow
from app.services.errors import Invalid
from app.services.numbers import to_int

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def begins_at(self) -> datetime:
        return datetime.combine(self.start, time.min, UTC)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": len(self.days)}


def _parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise Invalid(f"{name} must be a date (YYYY-MM-DD).", code="validation_failed",
                      fields={name: "A date as YYYY-MM-DD."}) from None


def parse_range(start_text: str | None, end_text: str | None, *, days: str | int | None = None,
                today: date | None = None) -> DateRange:
    """The last `days` (7, 30 or 90) days, else explicit `from`/`to`, else the last 30.

    A preset wins: the page's form sends the dates shown with whichever button was pressed."""
    today = today or utcnow().date()
    if days not in (None, ""):
        length = _preset(days)
        return DateRange(today - timedelta(days=length - 1), today)
    if start_text or end_text:
        end = _parse_day(end_text, "to") if end_text else today
        start = _parse_day(start_text, "from") if start_text else end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise Invalid("The range starts after it ends.", code="validation_failed",
                          fields={"from": "Must be on or before `to`."})
        if (end - start).days + 1 > MAX_DAYS:
            raise Invalid(f"A range is at most {MAX_DAYS} days.", code="validation_failed",
                          fields={"from": f"At most {MAX_DAYS} days before `to`."})
        return DateRange(start, end)
    return DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)


def _preset(days) -> int:
    length = to_int(days, minimum=1, maximum=MAX_DAYS)
    if length not in PRESETS:
        choices = ", ".join(str(n) for n in PRESETS)
        raise Invalid(f"days is one of {choices}.", code="validation_failed", fields={"days": f"One of {choices}."})
    return length
