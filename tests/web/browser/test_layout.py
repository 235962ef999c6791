"""The pages at a phone's 390 px with what a config may hold at its limits: a portfolio name of 64
characters without a space (a name breaks anywhere rather than push the page sideways) and a portfolio
that has no equity curve yet (its note is text that wraps, not an SVG line cut at the screen's edge);
and the API's reference (/docs), whose tables of prose wrap."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from configs import yaml_config
from dashboard import PHONE, Watched
from serving import Served, environment, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow

LONG = "L" * 30 + "-" + "x" * 33  # the longest name a config takes (64), hardly breakable
# Its holdings are worth billions: the allocation table is wider than a phone and scrolls in its box.


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("layout")
    config = folder / "long.yaml"
    rich = {"name": "paper", "balances": {"BTC": 1_000_000, "USDT": 100_000_000_000}, "prices": "2024-12-31"}
    config.write_text(yaml_config(data_dir="long-data", exchange=rich, top={"name": LONG}), encoding="utf-8")
    running = serve(config, env=environment())
    running.listening()
    running.sleeping(LONG)  # checked (and rebalanced) at start: run 1, one moment on the curve
    yield running
    code, stderr = running.stop()
    assert code == 0, stderr


def fits(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("path", ["/", f"/p/{LONG}", f"/p/{LONG}/history", f"/p/{LONG}/runs/1", "/docs"])
def test_no_page_scrolls_sideways_on_a_phone_even_with_a_long_portfolio_name(
    served: Served, open_page: Callable[..., Watched], screenshots: Callable[[Page, str], Path], path: str
) -> None:
    watched = open_page(**PHONE)
    page = watched.page
    answer = page.goto(served.url + path, wait_until="load")
    assert answer is not None
    assert answer.status == 200
    screenshots(page, "long-name-" + (path.rsplit("/", 1)[-1] or "overview")[:16] + "-390x844")
    assert fits(page) <= PHONE["width"], f"{path} is {fits(page)} px wide at {PHONE['width']} px"
    assert watched.errors == []


def test_the_note_of_a_curve_not_drawn_yet_wraps_inside_the_screen(
    served: Served, open_page: Callable[..., Watched]
) -> None:
    watched = open_page(**PHONE)
    page = watched.page
    page.goto(f"{served.url}/p/{LONG}", wait_until="load")
    note = page.locator("#equity-section").get_by_text("Not enough history yet")
    box = note.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"], box
    assert watched.errors == []


def test_the_caption_of_a_table_wider_than_the_screen_stays_on_the_screen(
    served: Served, open_page: Callable[..., Watched]
) -> None:
    watched = open_page(**PHONE)
    page = watched.page
    page.goto(f"{served.url}/p/{LONG}", wait_until="load")
    table = page.locator("table#allocation").bounding_box()
    assert table is not None
    assert table["width"] > PHONE["width"]  # it does scroll in its box
    caption = page.locator("table#allocation caption").bounding_box()
    assert caption is not None
    assert caption["x"] + caption["width"] <= PHONE["width"], caption
    assert watched.errors == []
