"""Bar charts as plain geometry for a server-rendered SVG template (no JavaScript)."""

from __future__ import annotations

from app.services.payments.amounts import dollars

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 180, 56, 22, 8


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


def bar_chart(daily: list[dict], *, money: bool = False) -> dict:
    """Bars for each day (negative values hang below the zero line), axis labels and ticks."""
    fmt = dollars if money else str
    values = [d["value"] for d in daily]
    top = nice_ceiling(max([0, *values]))
    bottom = nice_ceiling(-min([0, *values])) if min([0, *values]) < 0 else 0
    plot_h = HEIGHT - TOP - BOTTOM
    scale = plot_h / (top + bottom)
    zero_y = TOP + top * scale
    slot = (WIDTH - LEFT) / max(len(daily), 1)
    bars = []
    for index, d in enumerate(daily):
        h = abs(d["value"]) * scale
        y = zero_y - h if d["value"] >= 0 else zero_y
        bars.append({"x": round(LEFT + index * slot + slot * 0.1, 2), "y": round(y, 2),
                     "w": round(max(slot * 0.8, 1), 2), "h": round(h, 2), "date": d["date"],
                     "value": d["value"], "text": fmt(d["value"]), "negative": d["value"] < 0})
    ticks = [{"y": round(TOP, 2), "text": fmt(top)}, {"y": round(zero_y, 2), "text": fmt(0)}]
    if bottom:
        ticks.append({"y": round(HEIGHT - BOTTOM, 2), "text": fmt(-bottom)})
    marks = sorted({0, len(daily) // 2, len(daily) - 1}) if daily else []
    labels = [{"x": round(LEFT + i * slot + slot / 2, 2), "text": daily[i]["date"][5:]} for i in marks]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "zero_y": round(zero_y, 2), "bars": bars,
            "ticks": ticks, "labels": labels, "label_y": HEIGHT - 6, "money": money,
            "total_text": fmt(sum(values))}
