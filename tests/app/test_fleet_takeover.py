"""``serve``'s fleet on a shared PostgreSQL ledger: a portfolio another process drives waits on standby,
is taken over when that process lets go, and the run it left unfinished is resumed, not repeated; a
driver whose lock session ends stops driving until it holds the lock again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from configs import yaml_config
from flaky_bots import flaky_bot
from fleet_recorder import Recorder, fixed_bot
from postgres import PostgresServer
from sqlalchemy import create_engine, text

from trimtab.app.fleet import LOST_LOCK, Fleet
from trimtab.app.fleet_parts import Checked, PortfolioState, ServedConfig, StateChanged
from trimtab.app.portfolio_home import hold_portfolio, open_ledger
from trimtab.app.scheduler import CheckDone, Scheduler
from trimtab.config import load_config
from trimtab.errors import PortfolioBusy
from trimtab.model.orders import OrderRequest, Side

pytestmark = pytest.mark.postgresql


def shared_portfolio(tmp_path: Path, url: str) -> ServedConfig:
    path = tmp_path / "shared.yaml"
    path.write_text(yaml_config(top={"database_url": url}), encoding="utf-8")
    return ServedConfig("shared", load_config(path), path)


def end_trimtab_sessions(url: str) -> None:
    """End every session trimtab's locks hold on the server, as a restart of the server would."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'trimtab %'"
                )
            )
            connection.commit()
    finally:
        engine.dispose()


def checked(event: object) -> bool:
    return isinstance(event, Checked) and isinstance(event.event, CheckDone)


def became(state: PortfolioState) -> Callable[[object], bool]:
    return lambda e: isinstance(e, StateChanged) and e.state is state


async def test_a_standby_takes_over_and_resumes_the_run_left_unfinished(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    served = shared_portfolio(tmp_path, postgres_server.new_database())
    with hold_portfolio(served.config, served.path, "serve"):  # another process drives it ...
        bot, venue = flaky_bot(served.path)
        buys: list[str] = []

        def die_at_second_buy(request: OrderRequest) -> None:
            if request.side is Side.BUY:
                buys.append(request.client_order_id)
                if len(buys) == 2:
                    raise KeyboardInterrupt  # ... and dies in the middle of a run

        venue.before_place = die_at_second_buy
        with pytest.raises(KeyboardInterrupt):
            await bot.rebalance()
        await bot.close()
        placed_before = {r.client_order_id for r in venue.placed}
        recorder = Recorder()
        fleet = await Fleet.open([served], recorder, build=fixed_bot, takeover_seconds=0.05)
        assert not fleet.portfolios
        assert list(fleet.standby) == ["shared"]
        assert "`trimtab serve pid " in fleet.standby["shared"].holder
        fleet.start()
        await asyncio.sleep(0.3)
        assert "shared" in fleet.standby  # still driven elsewhere: nothing runs here
    try:
        await recorder.until(became(PortfolioState.RUNNING))  # the lock was let go: taken over
        done = await recorder.until(
            lambda e: isinstance(e, CheckDone) or getattr(e, "event", None) is not None
        )
    finally:
        await fleet.stop()
    assert isinstance(done, Checked)
    assert isinstance(done.event, CheckDone)
    outcome = done.event.outcome
    assert outcome is not None
    with open_ledger(served.config, served.path) as ledger:
        runs = ledger.list_runs(10)
        detail = ledger.run_detail(outcome.run_id)
    assert [run.id for run in runs] == [outcome.run_id]  # the unfinished run was finished, not repeated
    assert outcome.status == "completed"
    assert detail is not None
    client_ids = [order.client_order_id for order in detail.orders]
    assert len(client_ids) == len(set(client_ids))
    state = json.loads((tmp_path / "data" / "paper-venue.json").read_text(encoding="utf-8"))
    assert state["next_order_id"] - 1 == len(state["orders"])  # no order placed twice on the account
    assert placed_before <= set(state["orders"])


async def test_a_driver_whose_lock_session_ends_stops_until_it_holds_it_again(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.new_database()
    served = shared_portfolio(tmp_path, url)
    recorder = Recorder()
    fleet = await Fleet.open([served], recorder, build=fixed_bot, takeover_seconds=0.05)
    fleet.start()
    try:
        await recorder.until(checked)  # its first check
        end_trimtab_sessions(url)  # the server ends the lock's session (a restart, an operator)
        lost = await recorder.until(became(PortfolioState.STANDBY))
        assert isinstance(lost, StateChanged)
        assert lost.reason == LOST_LOCK
        retaken = await recorder.until(became(PortfolioState.RUNNING))  # free again: taken back
        assert isinstance(retaken, StateChanged)
        assert "shared" in fleet.portfolios
    finally:
        await fleet.stop()


async def test_a_bot_whose_lock_session_ended_places_nothing(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.new_database()
    served = shared_portfolio(tmp_path, url)
    with hold_portfolio(served.config, served.path, "run") as held:  # as `trimtab run` holds it
        bot = fixed_bot(served.config, served.path)
        bot.still_driving = held.still_held
        try:
            end_trimtab_sessions(url)
            with pytest.raises(PortfolioBusy, match="this process lost the portfolio's lock"):
                await bot.rebalance()
            with pytest.raises(PortfolioBusy):  # `run` ends instead of refusing at every check
                await Scheduler(bot).run(lambda _: None)
            assert bot.history(5) == []  # no run started, no order placed
        finally:
            await bot.close()
