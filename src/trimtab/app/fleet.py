"""The portfolios of one ``trimtab serve``: each with its bot, its schedule, its lock and its state.

Each portfolio keeps its own config, venue, data folder and ledger; the fleet only runs them side by
side in one event loop:

- Its lock (:func:`~trimtab.app.assembly.hold_portfolio`, command ``serve``) is held from :meth:`Fleet.open`
  to :meth:`Fleet.stop`. A portfolio driven by another process is reported (:class:`Busy`) and skipped;
  when none is left, :class:`NothingToServe`. Two portfolios sharing a data folder or a ledger are refused
  up front (they would trade one account twice).
- Its :class:`~trimtab.app.scheduler.Scheduler` checks it on its policy's schedule. A tripped kill switch
  (or a paper account that disagrees with the ledger) stops that scheduler only: the portfolio goes to
  ``kill_switch`` and the others go on. ``resume`` then overrides the kill switch once.
- ``pause`` stops its schedule after the run it is in and leaves a file in its data folder, so a restart
  stays paused until ``resume``.
- Every check records the portfolio's value (each run's ``before`` snapshot, and ``after`` when it traded),
  which is the equity curve (:meth:`ServedPortfolio.equity`).
- :meth:`Fleet.stop` lets every portfolio finish the run it is in, closes the bots and releases the locks.

Everything that happens is reported through one callback of plain data (:mod:`trimtab.app.fleet_parts`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trimtab.app.assembly import build_bot, data_dir, hold_portfolio, ledger_url
from trimtab.app.documents import portfolio_report
from trimtab.app.fleet_parts import (
    Busy,
    Checked,
    FleetEvent,
    LastRun,
    NothingToServe,
    PortfolioState,
    ServedConfig,
    Serving,
    StateChanged,
    Stopped,
    clear_pause,
    is_paused,
    write_pause,
)
from trimtab.app.outcomes import PlanView, RunOutcome
from trimtab.app.scheduler import CheckDone, LoopEvent, MarketEnded, Scheduler, Sleeping
from trimtab.app.service import Bot
from trimtab.config.models import Config
from trimtab.errors import AccountMismatch, ConfigError, KillSwitchTripped, PortfolioBusy, TrimtabError
from trimtab.redaction import redact

Report = Callable[[FleetEvent], None]
BuildBot = Callable[[Config, Path], Bot]

__all__ = ["Fleet", "ServedPortfolio"]


class ServedPortfolio:
    """One portfolio of the fleet: its bot, its state, its last run and next check."""

    def __init__(self, served: ServedConfig, bot: Bot, lock: contextlib.ExitStack) -> None:
        self.name = served.name
        self.config = served.config
        self.config_path = served.path
        self.bot = bot
        self.folder = data_dir(served.config, served.path)
        self.state = PortfolioState.RUNNING
        self.last_run: LastRun | None = None
        self.next_check: datetime | None = None
        #: Goes up after every run (scheduled or asked for): what a cache of its documents keys on.
        self.version = 0
        self._lock = lock
        self._scheduler: Scheduler | None = None
        self._task: asyncio.Task[None] | None = None

    async def status(self) -> dict[str, Any]:
        """The document of ``trimtab status --json``."""
        return portfolio_report(await self.bot.portfolio())

    async def plan(self, *, force: bool = False) -> PlanView:
        return await self.bot.plan(force=force)

    def equity(self, limit: int | None = None) -> list[tuple[datetime, Decimal]]:
        """The value at every snapshot the ledger recorded, oldest first."""
        return self.bot.parts.ledger.equity(limit)

    def note_run(self, *, new: bool = True) -> None:
        """Read the last run from the ledger (``new``: a run just ended, the documents changed)."""
        runs = self.bot.history(1)
        self.last_run = LastRun.of(runs[0]) if runs else None
        self.version += new

    @property
    def scheduled(self) -> bool:
        return self._task is not None and not self._task.done()


class Fleet:
    """The served portfolios, by name (see the module's docstring).

    >>> fleet = await Fleet.open(configs, print)  # doctest: +SKIP
    >>> fleet.start()  # doctest: +SKIP
    >>> await fleet.stop()  # doctest: +SKIP
    """

    def __init__(self, portfolios: Sequence[ServedPortfolio], report: Report) -> None:
        self.portfolios = {p.name: p for p in portfolios}
        self._report = report
        self._stopping = False

    @classmethod
    async def open(
        cls, configs: Sequence[ServedConfig], report: Report, *, build: BuildBot = build_bot
    ) -> Fleet:
        """Take each portfolio's lock and build its bot. A portfolio driven elsewhere is reported and
        skipped; raises :class:`NothingToServe` when none is left, and ConfigError for two portfolios
        with one name, one data folder or one ledger, or a config the bot cannot be built from."""
        check_distinct(configs)
        opened: list[ServedPortfolio] = []
        busy: list[str] = []
        try:
            for served in configs:
                stack = contextlib.ExitStack()
                try:
                    stack.enter_context(hold_portfolio(served.config, served.path, "serve"))
                except PortfolioBusy as error:
                    busy.append(f"{served.name}: {error}")
                    report(Busy(served.name, served.path, str(error)))
                    continue
                try:
                    bot = build(served.config, served.path)
                except BaseException:
                    stack.close()
                    raise
                opened.append(ServedPortfolio(served, bot, stack))
        except BaseException:
            for portfolio in opened:
                await _close(portfolio)
            raise
        if not opened:
            raise NothingToServe("nothing to serve: " + "; ".join(busy))
        return cls(opened, report)

    def get(self, name: str) -> ServedPortfolio | None:
        return self.portfolios.get(name)

    def start(self) -> None:
        """Start every portfolio's schedule (in the running event loop), except the paused ones."""
        for portfolio in self.portfolios.values():
            portfolio.note_run(new=False)
            if is_paused(portfolio.folder):
                portfolio.state = PortfolioState.PAUSED
            else:
                self._schedule(portfolio, override_kill_switch=False)
            self._report(Serving(portfolio.name, portfolio.config_path, portfolio.state))

    def pause(self, portfolio: ServedPortfolio) -> None:
        """No more scheduled checks (the run going on finishes); kept across a restart."""
        if portfolio.state is PortfolioState.PAUSED:
            return
        write_pause(portfolio.folder, portfolio.bot.now())
        portfolio.state = PortfolioState.PAUSED
        portfolio.next_check = None
        if portfolio._scheduler is not None:
            portfolio._scheduler.stop()
        self._report(StateChanged(portfolio.name, PortfolioState.PAUSED, "paused by its owner"))

    async def resume(self, portfolio: ServedPortfolio) -> None:
        """Checks on schedule again, from now; after a kill switch, its first run overrides it."""
        if portfolio.state is PortfolioState.RUNNING and portfolio.scheduled:
            return
        override = portfolio.state is PortfolioState.KILL_SWITCH
        clear_pause(portfolio.folder)
        if portfolio._task is not None:
            await portfolio._task  # a paused schedule ends after the run it was in
        if self._stopping:
            return
        portfolio.state = PortfolioState.RUNNING
        reason = "resumed by its owner" + (", overriding the kill switch once" if override else "")
        self._report(StateChanged(portfolio.name, PortfolioState.RUNNING, reason))
        self._schedule(portfolio, override_kill_switch=override)

    async def rebalance(self, portfolio: ServedPortfolio, *, force: bool = False) -> RunOutcome:
        """One run now, as ``trimtab rebalance`` (waits for a scheduled run going on); reported like a
        scheduled check. Raises what the run raised (KillSwitchTripped, a failure)."""
        try:
            outcome = await portfolio.bot.rebalance(force=force, command="api")
        except (KillSwitchTripped, AccountMismatch):
            raise
        except TrimtabError as error:
            portfolio.note_run()
            self._report(Checked(portfolio.name, CheckDone(None, error)))
            raise
        portfolio.note_run()
        self._report(Checked(portfolio.name, CheckDone(outcome)))
        return outcome

    def stop_schedules(self) -> None:
        """No check starts from now on (the runs going on finish); :meth:`stop` waits for them."""
        self._stopping = True
        for portfolio in self.portfolios.values():
            if portfolio._scheduler is not None:
                portfolio._scheduler.stop()

    async def stop(self) -> None:
        """Every portfolio finishes the run it is in; then the bots are closed and the locks released."""
        self.stop_schedules()
        tasks = [p._task for p in self.portfolios.values() if p._task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        for portfolio in self.portfolios.values():
            await _close(portfolio)
            self._report(Stopped(portfolio.name))

    def _schedule(self, portfolio: ServedPortfolio, *, override_kill_switch: bool) -> None:
        scheduler = Scheduler(portfolio.bot, override_kill_switch=override_kill_switch)
        portfolio._scheduler = scheduler
        portfolio._task = asyncio.get_running_loop().create_task(
            self._drive(portfolio, scheduler), name=f"trimtab serve {portfolio.name}"
        )

    async def _drive(self, portfolio: ServedPortfolio, scheduler: Scheduler) -> None:
        try:
            await scheduler.run(lambda event: self._checked(portfolio, scheduler, event))
        except (KillSwitchTripped, AccountMismatch) as error:
            self._halt(portfolio, str(error), error)
        except Exception as error:  # a bug must stop this portfolio, not the others or the service
            self._halt(portfolio, redact(f"unexpected {type(error).__name__}: {error}"), None)

    def _checked(self, portfolio: ServedPortfolio, scheduler: Scheduler, event: LoopEvent) -> None:
        if isinstance(event, Sleeping):
            portfolio.next_check = None if scheduler.stopping else event.next_check
        else:  # a check done, or the end of a replayed market (its last run closed as skipped)
            portfolio.note_run()
            if isinstance(event, MarketEnded):
                portfolio.next_check = None
        self._report(Checked(portfolio.name, event))

    def _halt(self, portfolio: ServedPortfolio, reason: str, error: TrimtabError | None) -> None:
        portfolio.state = PortfolioState.KILL_SWITCH
        portfolio.next_check = None
        with contextlib.suppress(TrimtabError):
            portfolio.note_run()
        self._report(StateChanged(portfolio.name, PortfolioState.KILL_SWITCH, reason, error))


def check_distinct(configs: Sequence[ServedConfig]) -> None:
    """Refuse two portfolios with one name, one data folder or one ledger (naming both files)."""
    names: dict[str, Path] = {}
    folders: dict[Path, Path] = {}
    ledgers: dict[str, Path] = {}
    for served in configs:
        config, path = served.config, served.path
        first = names.setdefault(served.name, path)
        if first != path:
            raise ConfigError(
                str(path), "name", f"the portfolio name {served.name!r} is also the name of {first}"
            )
        folder = data_dir(config, path).expanduser().resolve()
        first = folders.setdefault(folder, path)
        if first != path:
            raise ConfigError(
                str(path), "data_dir", f"{folder} is also the data folder of {first}; give each its own"
            )
        ledger = ledger_url(config, path)
        first = ledgers.setdefault(ledger, path)
        if first != path:
            raise ConfigError(str(path), "database_url", f"the ledger is also the ledger of {first}")


async def _close(portfolio: ServedPortfolio) -> None:
    try:
        await portfolio.bot.close()
    finally:
        portfolio._lock.close()
