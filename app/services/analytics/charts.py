"""Bar charts as plain geometry for a server-rendered SVG template (no JavaScript).

The SVG scales to its box, and its text with it: the view box is a little narrower than the
chart is drawn on a phone (a 390 px screen leaves it some 330 px), so 12-unit labels stay at
least 12 px there and grow a little in a wider column on a desktop."""

from __future__ import annotations

from datetime import date

from app.services.payments.amounts import dollars

WIDTH, HEIGHT, BOTTOM, TOP = 300, 150, 22, 10
FONT = 12  # the labels' size in view-box units (analytics.css draws them at it)
CHAR = 7.2  # the widest a label's character is at FONT (digits and "$" in a sans-serif)
GAP = 6  # between a tick's text and the plot
EDGE = 2  # kept clear at the right end: a glyph's box runs a little past its advance


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def day_label(iso: str) -> str:
    """A day as people read it on an axis: "8 Nov" (a bare "11-08" reads as a range)."""
    day = date.fromisoformat(iso)
    return f"{day.day} {day:%b}"


def bar_chart(daily: list[dict], *, money: bool = False) -> dict:
    """Bars for each day (negative values hang below the zero line), axis labels and ticks.

    The plot starts right of the widest tick text, and the first and last day labels are
    anchored to the plot's edges, so no label runs out of the view box."""
    fmt = dollars if money else str
    values = [d["value"] for d in daily]
    top = max(nice_ceiling(max([0, *values])), 100 if money else 1)  # an empty money chart: $1.00, not $0.01
    bottom = nice_ceiling(-min([0, *values])) if min([0, *values]) < 0 else 0
    tick_values = [top, 0, -bottom] if bottom else [top, 0]
    left = round(GAP + CHAR * max(len(fmt(v)) for v in tick_values), 2)
    plot_h = HEIGHT - TOP - BOTTOM
    scale = plot_h / (top + bottom)
    zero_y = TOP + top * scale
    slot = (WIDTH - left) / max(len(daily), 1)
    bars = []
    for index, d in enumerate(daily):
        h = abs(d["value"]) * scale
        y = zero_y - h if d["value"] >= 0 else zero_y
        bars.append({"x": round(left + index * slot + slot * 0.1, 2), "y": round(y, 2),
                     "w": round(max(slot * 0.8, 1), 2), "h": round(h, 2), "date": d["date"],
                     "value": d["value"], "text": fmt(d["value"]), "negative": d["value"] < 0})
    ticks = [{"y": round(TOP, 2), "text": fmt(top)}, {"y": round(zero_y, 2), "text": fmt(0)}]
    if bottom:
        ticks.append({"y": round(HEIGHT - BOTTOM, 2), "text": fmt(-bottom)})
    return {"width": WIDTH, "height": HEIGHT, "left": left, "zero_y": round(zero_y, 2), "bars": bars,
            "ticks": ticks, "tick_dy": round(FONT / 3, 2), "labels": _day_labels(daily, left, slot),
            "label_y": HEIGHT - 6, "money": money,
            "total_text": fmt(sum(values))}


def _day_labels(daily: list[dict], left: float, slot: float) -> list[dict]:
    """The first, middle and last days, the first anchored at its start, the last at its end."""
    if not daily:
        return []
    last = len(daily) - 1
    labels = [{"x": round(left, 2), "anchor": "start", "text": day_label(daily[0]["date"])}]
    if last >= 2:
        middle = last // 2
        labels.append({"x": round(left + middle * slot + slot / 2, 2), "anchor": "middle",
                       "text": day_label(daily[middle]["date"])})
    if last >= 1:
        labels.append({"x": WIDTH - EDGE, "anchor": "end", "text": day_label(daily[last]["date"])})
    return labels
