"""The MTTR-per-month bar chart as numbers a template draws in SVG: bars with their values,
a y axis in hours with ticks, month labels on the x axis and the MTTR target line."""

from __future__ import annotations

import math

LEFT, TOP, PLOT_HEIGHT, SLOT = 56, 16, 160, 64


def mttr_chart(months: list[dict], target_hours: float) -> dict:
    """Geometry of the chart; ``bars`` is empty when no incident has been resolved."""
    top = _axis_top(max([target_hours, *[m["mttr_hours"] or 0 for m in months]]))
    baseline = TOP + PLOT_HEIGHT
    return {
        "bars": [_bar(index, month, top, target_hours) for index, month in enumerate(months)],
        "ticks": [{"y": _y(value, top), "value": _number(value)} for value in _ticks(top)],
        "target_y": _y(target_hours, top),
        "target": _number(target_hours),
        "left": LEFT,
        "right": LEFT + max(len(months), 1) * SLOT,
        "baseline": baseline,
        "middle_y": TOP + PLOT_HEIGHT // 2,
        "width": LEFT + max(len(months), 1) * SLOT + 70,
        "height": baseline + 44,
    }


def _bar(index: int, month: dict, top: float, target: float) -> dict:
    value = month["mttr_hours"] or 0
    y = _y(value, top)
    x = LEFT + 8 + index * SLOT
    return {
        "x": x,
        "y": y,
        "width": SLOT - 16,
        "height": TOP + PLOT_HEIGHT - y,
        "center": x + (SLOT - 16) // 2,
        "label": month["month"],
        "value": _number(value),
        "incidents": month["incidents"],
        "over": value > target,
    }


def _axis_top(highest: float) -> float:
    """A round number at or above the highest value, so the ticks read 0, 1, 2 … or 0, 5, 10 …"""
    if highest <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(highest))
    for multiple in (1, 2, 5, 10):
        if multiple * step >= highest:
            return float(multiple * step)
    return float(10 * step)


def _ticks(top: float) -> list[float]:
    # 1 and 5 split into fifths (0.2, 1), 2 into quarters (0.5): every tick is a round number.
    leading = round(top / 10 ** math.floor(math.log10(top)))
    parts = 4 if leading == 2 else 5
    return [round(top * share / parts, 6) for share in range(parts + 1)]


def _y(value: float, top: float) -> int:
    return TOP + PLOT_HEIGHT - round(min(value, top) / top * PLOT_HEIGHT)


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0")
