"""Per-day figures as the API returns them: a total and one value for every day of the range."""

from __future__ import annotations

from datetime import date

from app.services.analytics.ranges import DateRange


def series(rng: DateRange, by_day: dict[date, int], *, total: int | None = None) -> dict:
    daily = [{"date": day.isoformat(), "value": int(by_day.get(day, 0))} for day in rng.days]
    return {"total": sum(d["value"] for d in daily) if total is None else total, "daily": daily}
