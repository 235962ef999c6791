"""Fixtures of the dashboard's browser tests: Debian's chromium (the tests skip, saying why, where it is
missing), a real ``trimtab serve`` of the two portfolios of :mod:`dashboard`, pages that record every
console error and uncaught exception, and the folder of screenshots the run prints at its end."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from dashboard import (
    CHROMIUM,
    NO_CHROMIUM,
    SCREENSHOTS,
    TOKEN,
    Dashboard,
    Watched,
    backtest_reports,
    chromium,
    prepare,
)
from serving import environment, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

_written: list[Path] = []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, for one test module: Playwright's sync API keeps an event loop running in this
    thread while it is open, so it is closed before the next module (whose code may call asyncio.run)."""
    if sys.platform == "win32":
        pytest.skip("Debian's chromium")
    pytest.importorskip("playwright", reason="playwright is a dev extra: pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Dashboard]:
    """``core`` (paused, drifted, with a history) and ``monthly`` (checked at start), served with a token
    and a folder of backtest reports."""
    folder = tmp_path_factory.mktemp("dashboard")
    configs = prepare(folder)
    reports = backtest_reports(configs["monthly"], folder / "backtests")
    served = serve(*configs.values(), extra=["--backtests", str(reports)], env=environment(token=TOKEN))
    served.listening()
    served.sleeping("monthly")
    yield Dashboard(served, configs, reports)
    code, stderr = served.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Watched]]:
    """``open_page(width=1280, height=800)``: a page in a new browser session (its own sessionStorage)."""
    contexts = []

    def open_page(width: int = 1280, height: int = 800) -> Watched:
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        context.set_default_timeout(30_000)
        contexts.append(context)
        watched = Watched(context.new_page())
        watched.page.on("console", watched.on_console)
        watched.page.on("pageerror", watched.on_error)
        return watched

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Callable[[Page, str], Path]:
    """``shoot(page, name)``: the whole page as ``build/screenshots/NAME.png`` (printed at the end)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        _written.append(path)
        return path

    return shoot


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _written:
        terminalreporter.write_line(f"screenshots: {SCREENSHOTS} ({len(_written)} written)")
