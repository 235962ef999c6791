"""The backtest reports page (``/backtests``): the ``*.html`` files directly in the folder given by
``trimtab serve --backtests DIR``, listed and opened.

Only a name found by listing the folder is ever opened: no path from the request reaches the file
system, so ``..``, an absolute path, a sub-folder or a link leading out of the folder cannot be
served. A report runs its own scripts (plotly, inline), so it is sent with a Content-Security-Policy
``sandbox`` (:mod:`trimtab.web.security`): it runs in an origin of its own, away from the dashboard's
token and API.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from trimtab.web.html import Markup, join, tag, when
from trimtab.web.layout import table


@dataclass(frozen=True)
class Report:
    name: str
    size: int
    modified: datetime
    path: Path


def reports(folder: Path) -> list[Report]:
    """The ``*.html`` files directly in ``folder`` (a link only when it stays in the folder), newest
    first; none when the folder does not exist."""
    try:
        base = folder.resolve(strict=True)
        entries = list(os.scandir(base))
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.lower().endswith(".html") or entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if path.resolve(strict=True).parent != base or not entry.is_file():
                continue
            stat = entry.stat()
        except OSError:
            continue
        found.append(Report(entry.name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC), path))
    return sorted(found, key=lambda r: (-r.modified.timestamp(), r.name))


def report_named(folder: Path, name: str) -> Report | None:
    """The report ``name`` as listed by :func:`reports` (None for any other name)."""
    return next((report for report in reports(folder) if report.name == name), None)


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"


def backtests_page(folder: Path | None) -> Markup:
    heading = tag("h1", "Backtests")
    if folder is None:
        return join(
            heading,
            tag(
                "p",
                "No folder of backtest reports is set. Start the server with ",
                tag("code", "trimtab serve --backtests DIR"),
                " to list the HTML reports in DIR, e.g. those written by ",
                tag("code", "trimtab backtest --report DIR/report.html"),
                ".",
                id="backtests-unset",
            ),
        )
    found = reports(folder)
    rows = [
        tag(
            "tr",
            tag("th", tag("a", report.name, href=f"/backtests/{quote(report.name)}"), scope="row"),
            tag("td", _size(report.size), class_="num", data_value=str(report.size)),
            tag("td", when(report.modified)),
            data_report=report.name,
        )
        for report in found
    ]
    return join(
        heading,
        tag("p", "The HTML reports in ", tag("code", str(folder)), ", newest first.", class_="lead"),
        table(
            "backtests",
            "Backtest reports",
            ["Report", "Size", "Modified"],
            rows,
            empty="No *.html report in that folder yet.",
        ),
    )
