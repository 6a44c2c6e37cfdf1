"""Chart geometry: every label inside the view box, the plot right of the widest tick text,
days written as people read them."""

from datetime import date, timedelta

import pytest

from app.services.analytics.charts import CHAR, EDGE, FONT, WIDTH, bar_chart, day_label


def days(values: list[int]) -> list[dict]:
    start = date(2026, 11, 8)
    return [{"date": (start + timedelta(days=i)).isoformat(), "value": v} for i, v in enumerate(values)]


def extent(label: dict) -> tuple[float, float]:
    """Where a label's text runs, at most, along the x axis."""
    width = CHAR * len(label["text"])
    start = {"start": label["x"], "middle": label["x"] - width / 2, "end": label["x"] - width}[label["anchor"]]
    return start, start + width


@pytest.mark.parametrize("values, money", [
    ([3] * 30, False),
    ([0, 1_234_567_00, -5_000_00] * 30, True),  # 90 days, big money both ways
    ([7], False),
    ([1, 2], True),
])
def test_every_label_fits_the_view_box(values, money):
    chart = bar_chart(days(values), money=money)
    assert chart["width"] == WIDTH
    for label in chart["labels"]:
        left, right = extent(label)
        assert 0 <= left and right <= WIDTH, label
    spans = sorted(extent(label) for label in chart["labels"])
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:])), spans  # no two overlap
    for tick in chart["ticks"]:  # drawn right-aligned 4 units left of the plot
        assert CHAR * len(tick["text"]) <= chart["left"] - 4, tick
    assert all(bar["x"] >= chart["left"] and bar["x"] + bar["w"] <= WIDTH + 0.01 for bar in chart["bars"])
    assert FONT >= 12


def test_the_last_day_is_written_whole_and_anchored_at_the_end():
    chart = bar_chart(days(list(range(30))))
    assert [(label["text"], label["anchor"]) for label in chart["labels"]] == [
        ("8 Nov", "start"), ("22 Nov", "middle"), ("7 Dec", "end")]
    assert chart["labels"][-1]["x"] == WIDTH - EDGE
    assert day_label("2026-12-04") == "4 Dec"


def test_an_empty_money_chart_tops_at_a_dollar():
    assert [t["text"] for t in bar_chart(days([0] * 7), money=True)["ticks"]] == ["$1.00", "$0.00"]
