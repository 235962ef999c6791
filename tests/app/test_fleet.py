"""The fleet of ``trimtab serve`` without a server: real bots on paper portfolios, real ledgers and locks.

Each portfolio is checked on its own schedule and reported as plain data; a portfolio driven elsewhere is
skipped; a pause survives a restart; a kill switch stops one portfolio and not the others, and resuming
overrides it once; stopping releases every lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from configs import yaml_config
from fleet_recorder import NOW, Recorder, fixed_bot

from trimtab.app.fleet import Fleet, ServedPortfolio
from trimtab.app.fleet_parts import (
    PAUSE_FILE_NAME,
    Busy,
    Checked,
    NothingToServe,
    PortfolioState,
    ServedConfig,
    Serving,
    StateChanged,
    Stopped,
)
from trimtab.app.portfolio_home import hold_portfolio
from trimtab.app.scheduler import CheckDone
from trimtab.config import load_config
from trimtab.errors import ConfigError
from trimtab.ledger.records import RunMode, RunStatus


def served(tmp_path: Path, name: str, **overrides: object) -> ServedConfig:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml_config(data_dir=f"{name}-data", **overrides), encoding="utf-8")  # type: ignore[arg-type]
    return ServedConfig(name, load_config(path), path)


async def open_fleet(configs: list[ServedConfig], recorder: Recorder) -> Fleet:
    return await Fleet.open(configs, recorder, build=fixed_bot)


async def test_each_portfolio_is_checked_reported_and_released_on_stop(tmp_path: Path) -> None:
    configs = [served(tmp_path, "a"), served(tmp_path, "b")]
    recorder = Recorder()
    fleet = await open_fleet(configs, recorder)
    fleet.start()
    for name in ("a", "b"):
        await recorder.until(recorder.sleeping(name))
    a = fleet.get("a")
    assert a is not None
    assert a.state is PortfolioState.RUNNING
    assert a.last_run is not None
    assert a.last_run.status == "completed"
    assert a.last_run.rebalance
    assert a.next_check is not None
    assert a.next_check > NOW
    done = [e.event for e in recorder.events if isinstance(e, Checked) and isinstance(e.event, CheckDone)]
    assert [d.outcome.status for d in done if d.outcome] == [RunStatus.COMPLETED, RunStatus.COMPLETED]
    await fleet.stop()
    assert [e.portfolio for e in recorder.events if isinstance(e, Stopped)] == ["a", "b"]
    for config in configs:  # the locks are free again
        with hold_portfolio(config.config, config.path, "test"):
            pass


async def test_the_equity_curve_is_the_value_at_every_recorded_snapshot(tmp_path: Path) -> None:
    recorder = Recorder()
    fleet = await open_fleet([served(tmp_path, "a")], recorder)
    fleet.start()
    await recorder.until(recorder.sleeping("a"))
    portfolio = fleet.get("a")
    assert portfolio is not None
    outcome = await fleet.rebalance(portfolio)  # a check that skips still records its snapshot
    assert outcome.status == RunStatus.SKIPPED
    points = portfolio.equity()
    details = [portfolio.bot.run_detail(run.id) for run in reversed(portfolio.bot.history(10))]
    values = [s.total_value for d in details if d is not None for s in d.snapshots]
    assert [value for _, value in points] == values
    assert len(points) == 3  # before and after the first run's trades, before the skipped one
    await fleet.stop()


async def test_a_portfolio_driven_elsewhere_is_reported_and_skipped(tmp_path: Path) -> None:
    busy, free = served(tmp_path, "busy"), served(tmp_path, "free")
    recorder = Recorder()
    with hold_portfolio(busy.config, busy.path, "run"):
        fleet = await open_fleet([busy, free], recorder)
        try:
            assert list(fleet.portfolios) == ["free"]
            skipped = [e for e in recorder.events if isinstance(e, Busy)]
            assert [e.portfolio for e in skipped] == ["busy"]
            assert "portfolio busy" in skipped[0].message
            assert "run" in skipped[0].message
        finally:
            await fleet.stop()
        with pytest.raises(NothingToServe, match="nothing to serve: busy: portfolio busy"):
            await open_fleet([busy], Recorder())


@pytest.mark.parametrize("shared", ["data_dir", "database_url"])
async def test_two_portfolios_on_one_account_are_refused_naming_both_files(
    tmp_path: Path, shared: str
) -> None:
    first = served(tmp_path, "first")
    top = {"database_url": f"sqlite:///{tmp_path / 'one.db'}"} if shared == "database_url" else None
    text = yaml_config(data_dir="first-data" if shared == "data_dir" else "second-data", top=top)
    second_path = tmp_path / "second.yaml"
    second_path.write_text(text, encoding="utf-8")
    second = ServedConfig("second", load_config(second_path), second_path)
    if shared == "database_url":
        first_path = tmp_path / "first.yaml"
        first_path.write_text(yaml_config(data_dir="first-data", top=top), encoding="utf-8")
        first = ServedConfig("first", load_config(first_path), first_path)
    with pytest.raises(ConfigError) as refused:
        await open_fleet([first, second], Recorder())
    assert str(second_path) in str(refused.value)
    assert str(first.path) in str(refused.value)
    for config in (first, second):  # nothing was locked
        with hold_portfolio(config.config, config.path, "test"):
            pass


async def test_a_pause_survives_a_restart_until_resumed(tmp_path: Path) -> None:
    config = served(tmp_path, "a")
    recorder = Recorder()
    fleet = await open_fleet([config], recorder)
    fleet.start()
    await recorder.until(recorder.sleeping("a"))
    portfolio = fleet.get("a")
    assert portfolio is not None
    fleet.pause(portfolio)
    assert portfolio.state is PortfolioState.PAUSED
    assert portfolio.next_check is None
    await fleet.stop()
    assert (tmp_path / "a-data" / PAUSE_FILE_NAME).exists()

    recorder = Recorder()
    fleet = await open_fleet([config], recorder)
    fleet.start()
    portfolio = fleet.get("a")
    assert portfolio is not None
    assert portfolio.state is PortfolioState.PAUSED
    assert [e.state for e in recorder.events if isinstance(e, Serving)] == [PortfolioState.PAUSED]
    runs_before = len(portfolio.bot.history(100))
    await fleet.resume(portfolio)
    await recorder.until(recorder.sleeping("a"))
    assert len(portfolio.bot.history(100)) == runs_before + 1
    assert not (tmp_path / "a-data" / PAUSE_FILE_NAME).exists()
    await fleet.stop()


def fail_runs(config: ServedConfig, count: int) -> None:
    """``count`` failed live runs in the portfolio's ledger: its kill switch is tripped."""
    from trimtab.app.portfolio_home import open_ledger

    with open_ledger(config.config, config.path) as ledger:
        for _ in range(count):
            run = ledger.start_run(
                command="run",
                venue="paper",
                mode=RunMode.LIVE,
                forced=False,
                started_at=NOW,
                config_digest="t",
            )
            ledger.finish_run(run, RunStatus.FAILED, NOW, error="order refused by the exchange")


async def test_a_kill_switch_stops_its_portfolio_only_and_resume_overrides_it_once(tmp_path: Path) -> None:
    tripped, healthy = served(tmp_path, "tripped"), served(tmp_path, "healthy")
    fail_runs(tripped, 3)
    recorder = Recorder()
    fleet = await open_fleet([tripped, healthy], recorder)
    fleet.start()
    halted = await recorder.until(lambda e: isinstance(e, StateChanged) and e.portfolio == "tripped")
    assert isinstance(halted, StateChanged)
    assert halted.state is PortfolioState.KILL_SWITCH
    assert "kill switch" in halted.reason
    await recorder.until(recorder.sleeping("healthy"))
    portfolio: ServedPortfolio | None = fleet.get("tripped")
    assert portfolio is not None
    assert portfolio.state is PortfolioState.KILL_SWITCH
    await fleet.resume(portfolio)
    await recorder.until(recorder.sleeping("tripped"))
    assert portfolio.state is PortfolioState.RUNNING
    assert portfolio.last_run is not None
    assert portfolio.last_run.status == "completed"
    await fleet.stop()
