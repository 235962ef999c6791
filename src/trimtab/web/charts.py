"""The dashboard's charts as small inline SVG drawn on the server: no chart library in the browser.

Each chart has a ``<title>`` and a ``<desc>`` (read by screen readers, ``role="img"``) and a text
equivalent next to it on the page (the allocation table; the equity curve's table in a ``<details>``).
Colours come from the stylesheet through class names: no ``style`` attribute (the page's
Content-Security-Policy allows no inline style).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from trimtab.app.dashboard import EquityPoint
from trimtab.ledger.records import SnapshotKind
from trimtab.model.money import fmt
from trimtab.web.html import Markup, money, points, tag, weight

WIDTH = 560  # the allocation chart's user units (it sits beside its table on a wide screen)
LABEL = 60  # left: the asset's name
RIGHT = 84  # right: the current weight
EQUITY_HEIGHT = 240  # CSS pixels; the width is the box's
EQUITY_TOP = 12
EQUITY_BOTTOM = 30  # the dates


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, *body: object) -> Markup:
    return tag(
        "svg",
        tag("title", title, id=f"{chart_id}-title"),
        tag("desc", desc, id=f"{chart_id}-desc"),
        *body,
        id=chart_id,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        class_="chart",
        preserveAspectRatio="xMinYMin meet",
    )


def allocation_chart(weights: Mapping[str, Mapping[str, str]], band: Decimal | None) -> Markup:
    """One row per asset: its weight (bar), its target (line) and the band around it (shaded), in
    percent of the portfolio; a bar outside the band is marked ``out``."""
    rows = list(weights.items())
    top = Decimal(10)
    for _, w in rows:
        top = max(top, Decimal(w["current"]), Decimal(w["target"]) + (band or 0))
    top = (top / 10).to_integral_value(rounding=ROUND_CEILING) * 10
    span = WIDTH - LABEL - RIGHT
    row_height = 30
    height = len(rows) * row_height + 24

    def x(percent: Decimal) -> str:
        clamped = min(max(percent, Decimal(0)), top)
        return _n(LABEL + float(clamped / top) * span)

    body: list[Markup] = []
    for tick in range(0, int(top) + 1, max(10, int(top) // 5 // 10 * 10)):
        tx = x(Decimal(tick))
        body.append(tag("line", x1=tx, x2=tx, y1="0", y2=str(height - 18), class_="grid"))
        body.append(tag("text", f"{tick}%", x=tx, y=str(height - 4), class_="axis", text_anchor="middle"))
    described = []
    for index, (asset, w) in enumerate(rows):
        y = index * row_height
        current, target, drift = Decimal(w["current"]), Decimal(w["target"]), Decimal(w["drift"])
        out = band is not None and abs(drift) > band
        group: list[Markup] = [
            tag("title", f"{asset}: {weight(current)} against a target of {weight(target)} ({points(drift)})")
        ]
        if band is not None:
            low, high = x(target - band), x(target + band)
            group.append(
                tag(
                    "rect",
                    x=low,
                    y=str(y + 3),
                    width=_n(float(high) - float(low)),
                    height="24",
                    class_="band",
                )
            )
        group.append(
            tag(
                "rect",
                x=str(LABEL),
                y=str(y + 9),
                width=_n(float(x(current)) - LABEL),
                height="12",
                class_="bar out" if out else "bar",
            )
        )
        tx = x(target)
        group.append(tag("line", x1=tx, x2=tx, y1=str(y + 1), y2=str(y + 29), class_="target"))
        group.append(tag("text", asset, x=str(LABEL - 8), y=str(y + 19), class_="label", text_anchor="end"))
        group.append(
            tag(
                "text",
                weight(current),
                x=str(WIDTH - 2),
                y=str(y + 19),
                class_="label value",
                text_anchor="end",
            )
        )
        body.append(tag("g", *group, data_asset=asset))
        band_text = f", band {fmt(target - band)}–{fmt(target + band)}%" if band is not None else ""
        described.append(f"{asset} {weight(current)} (target {weight(target)}{band_text})")
    desc = "; ".join(described) or "No assets."
    return _svg("allocation-chart", WIDTH, height, "Allocation against target", desc, *body)


def equity_chart(points: Sequence[EquityPoint], quote: str) -> Markup:
    """The value over time as a line over a shaded area, as wide as its box at any screen width; each
    rebalance (the value just after a run traded) a dashed vertical line and a dot.

    The SVG has no viewBox: its user units are CSS pixels (the text keeps its size on a phone), the
    stylesheet gives it its height and a left padding for the value axis, and the horizontal positions
    are percentages of its width. The line itself is drawn in a nested SVG stretched to the plot
    (``preserveAspectRatio="none"``) with a stroke that does not scale."""
    moments = {p.taken_at for p in points}
    if len(moments) < 2:
        note = "Not enough history yet: the curve starts after checks at two different times."
        if points:
            note += f" Latest value: {money(points[-1].value)} {quote}."
        # Plain text, not SVG text: a sentence in an SVG neither wraps nor shrinks on a phone.
        return tag("p", note, id="equity-empty", class_="muted")
    ticks, places = _ticks(min(p.value for p in points), max(p.value for p in points))
    low, high = float(ticks[0]), float(ticks[-1])
    start, end = points[0].taken_at.timestamp(), points[-1].taken_at.timestamp()
    plot_h = EQUITY_HEIGHT - EQUITY_TOP - EQUITY_BOTTOM

    def fraction(point: EquityPoint) -> float:
        return (point.taken_at.timestamp() - start) / (end - start)

    def y(value: Decimal) -> float:
        return (high - float(value)) / (high - low) * plot_h

    body: list[Markup] = []
    for level in ticks:
        gy = _n(EQUITY_TOP + y(level))
        body.append(tag("line", x1="0", x2="100%", y1=gy, y2=gy, class_="grid"))
        body.append(
            tag("text", money(level, places), x="-8", y=gy, class_="axis", text_anchor="end", dy="0.32em")
        )
    body.extend(_time_axis(points[0].taken_at, points[-1].taken_at, EQUITY_HEIGHT - 8))
    line = " ".join(
        f"{'M' if i == 0 else 'L'}{_n(fraction(p) * 1000)},{_n(y(p.value))}" for i, p in enumerate(points)
    )
    area = f"{line} L1000,{_n(plot_h)} L0,{_n(plot_h)} Z"
    body.append(
        tag(
            "svg",
            tag("path", d=area, class_="area"),
            tag("path", d=line, class_="line", vector_effect="non-scaling-stroke"),
            x="0",
            y=str(EQUITY_TOP),
            width="100%",
            height=str(plot_h),
            viewBox=f"0 0 1000 {plot_h}",
            preserveAspectRatio="none",
            overflow="visible",
        )
    )
    marks = [p for p in points if p.kind is SnapshotKind.AFTER]
    for point in marks:
        px, py = f"{fraction(point) * 100:.3f}%", _n(EQUITY_TOP + y(point.value))
        body.append(
            tag(
                "line",
                x1=px,
                x2=px,
                y1=str(EQUITY_TOP),
                y2=_n(EQUITY_TOP + plot_h),
                class_="rebalance-line",
            )
        )
        body.append(
            tag(
                "circle",
                tag("title", f"Rebalance, run {point.run_id}: {money(point.value)} {quote}"),
                cx=px,
                cy=py,
                r="5",
                class_="rebalance",
                data_run_id=str(point.run_id),
            )
        )
    first, last = points[0], points[-1]
    desc = (
        f"From {money(first.value)} {quote} on {_day(first.taken_at)} to {money(last.value)} {quote} on "
        f"{_day(last.taken_at)}; lowest {money(min(p.value for p in points))}, highest "
        f"{money(max(p.value for p in points))}; {len(marks)} rebalance{'s' if len(marks) != 1 else ''} marked."
    )
    return _equity_svg(f"Portfolio value ({quote}), rebalances marked", desc, *body)


def _equity_svg(title: str, desc: str, *body: object) -> Markup:
    return tag(
        "svg",
        tag("title", title, id="equity-chart-title"),
        tag("desc", desc, id="equity-chart-desc"),
        *body,
        id="equity-chart",
        xmlns="http://www.w3.org/2000/svg",
        width="100%",
        height=str(EQUITY_HEIGHT),
        role="img",
        aria_labelledby="equity-chart-title equity-chart-desc",
        class_="chart equity",
    )


def _ticks(low: Decimal, high: Decimal, count: int = 4) -> tuple[list[Decimal], int]:
    """Round levels (a step of 1, 2, 2.5 or 5 times a power of ten) from below ``low`` to above
    ``high``, about ``count`` steps; and the decimal places their labels need."""
    span = high - low or max(abs(high) / 50, Decimal(1))
    rough = span / count
    power = Decimal(1).scaleb(rough.adjusted())
    step = next(
        m * power
        for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
        if m * power >= rough
    )
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    last = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    if first == last:
        last = first + step
    levels = [first + i * step for i in range(int((last - first) / step) + 1)]
    places = max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]
    return levels, places


def _time_axis(first: datetime, last: datetime, baseline: int) -> list[Markup]:
    """Four dates under the plot: the first at the left edge, the last at the right, two between
    (hours too when the curve spans less than three days)."""
    span = (last - first).total_seconds()
    form = "%Y-%m-%d" if span >= 3 * 86400 else "%m-%d %H:%M"
    labels = []
    for index, (share, anchor) in enumerate(
        [(0.0, "start"), (1 / 3, "middle"), (2 / 3, "middle"), (1.0, "end")]
    ):
        moment = first + (last - first) * share
        labels.append(
            tag(
                "text",
                moment.strftime(form),
                x=f"{share * 100:.3f}%",
                y=str(baseline),
                class_="axis" if index in (0, 3) else "axis minor",
                text_anchor=anchor,
            )
        )
    return labels


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")
