"""The dashboard as a person meets it: Debian's chromium (driven by Playwright, never Playwright's own
browser download) on the pages of a real ``trimtab serve``.

``prepare(folder)`` writes the two portfolios the browser tests serve, both deterministic under the
fixed clock of :func:`serving.environment`:

- ``core``: the drifted seed portfolio with a history. Rebalanced to its targets on 2024-04-01
  (forced), checked on 2024-07-01 and 2024-10-01 (inside the band: skipped); on the closes of
  2024-12-31 BTC is 7.10 points over its target, so a rebalance is due. Paused by its owner, so
  ``serve`` leaves it drifted (no check at start) and its page shows the planned orders.
- ``monthly``: the drifted seed portfolio on a monthly calendar, checked (and rebalanced) at start.

``backtest_reports()`` adds a folder with one backtest report of ``monthly`` (``serve --backtests``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from configs import MONTHLY, PAPER, yaml_config
from serving import Served, environment, run_cli

from trimtab.app.fleet_parts import write_pause

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Error, Page

CHROMIUM = Path(os.environ.get("TRIMTAB_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = (
    f"{CHROMIUM} is missing: the dashboard's browser tests need Debian's chromium "
    "(make test installs it with apt-get when run as root)"
)
TOKEN = "browser-token-5d81c3a7e0"  # the served TRIMTAB_WEB_TOKEN
WAIT_MS = 30_000  # generous, never reached when things work (the tests are not timed)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "build" / "screenshots"
README_SCREENSHOT = REPOSITORY / "docs" / "dashboard.png"

# (the day whose closes price the paper venue, extra arguments of `trimtab rebalance`)
CORE_HISTORY = [("2024-04-01", ["--force"]), ("2024-07-01", []), ("2024-10-01", [])]


def prepare(folder: Path) -> dict[str, Path]:
    """The config files of ``core`` and ``monthly`` in ``folder`` (see the module's docstring)."""
    core = folder / "core.yaml"
    for day, extra in CORE_HISTORY:
        write_core(core, day)
        done = run_cli(
            "rebalance", "-c", str(core), *extra, env=environment({"TRIMTAB_NOW": f"{day}T12:00:00Z"})
        )
        assert done.returncode == 0, done.stderr
    write_core(core, "2024-12-31")
    write_pause(folder / "core-data", datetime(2025, 1, 1, 9, 30, tzinfo=UTC))
    monthly = folder / "monthly.yaml"
    monthly.write_text(yaml_config(data_dir="monthly-data", rebalancing=MONTHLY), encoding="utf-8")
    return {"core": core, "monthly": monthly}


def backtest_reports(config: Path, folder: Path) -> Path:
    """``folder`` with one HTML backtest report of ``config`` in it (what ``serve --backtests`` lists)."""
    folder.mkdir(exist_ok=True)
    done = run_cli("backtest", "-c", str(config), "--report", str(folder / "monthly.html"))
    assert done.returncode == 0, done.stderr
    return folder


def write_core(path: Path, day: str) -> None:
    path.write_text(yaml_config(data_dir="core-data", exchange={**PAPER, "prices": day}), encoding="utf-8")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium driven by Playwright, closed at the end. Playwright starts it with a fresh
    profile (a new temporary user-data-dir) and every ``new_context()`` is a fresh browser session."""
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def shown(text: str) -> Decimal:
    """The number a cell shows: thousands separators, ``%``, a ``+`` sign and spaces dropped, a
    typographic minus read as ``-``; the first number when the cell says more (``7.10 of 5``)."""
    cleaned = text.replace("\u2212", "-").replace(",", "").replace("%", "").replace("+", "")
    found = NUMBER.search(re.sub(r"\s+", "", cleaned))
    assert found is not None, f"no number in {text!r}"
    return Decimal(found.group())


def agrees(text: str, exact: str | Decimal) -> bool:
    """Whether ``text`` shows ``exact``: exactly, or rounded to the digits it shows when it shows enough
    of them (its last digit is worth at most 1% of the number, or 0.01)."""
    number, true = shown(text), Decimal(exact)
    if number == true:
        return True
    unit = Decimal(1).scaleb(number.as_tuple().exponent)  # type: ignore[arg-type]
    return abs(number - true) <= unit / 2 and unit <= max(Decimal("0.01"), abs(true) / 100)


@dataclass
class Dashboard:
    """A served pair of portfolios: the server, its URL, each portfolio's config file and the folder of
    backtest reports it lists."""

    served: Served
    configs: dict[str, Path]
    backtests: Path

    @property
    def url(self) -> str:
        return self.served.url


@dataclass
class Watched:
    """A page and what went wrong on it: console errors and uncaught exceptions, as one line each."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_error(self, error: Error) -> None:
        self.errors.append(f"pageerror: {error.message}")
