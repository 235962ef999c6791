"""The portfolios of one ``trimtab serve``: each with its bot, its schedule, its lock and its state.

Each portfolio keeps its own config, venue, data folder and ledger; the fleet only runs them side by
side in one event loop:

- Its lock (:func:`~trimtab.app.portfolio_home.hold_portfolio`, command ``serve``) is held from :meth:`Fleet.open`
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

from trimtab.app.assembly import build_bot
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
    StandbyPortfolio,
    StateChanged,
    Stopped,
    clear_pause,
    is_paused,
    write_pause,
)
from trimtab.app.outcomes import PlanView, RunOutcome
from trimtab.app.portfolio_home import data_dir, hold_portfolio, ledger_schema, ledger_url
from trimtab.app.scheduler import CheckDone, LoopEvent, MarketEnded, Scheduler, Sleeping
from trimtab.app.service import Bot
from trimtab.config.models import Config
from trimtab.errors import AccountMismatch, ConfigError, KillSwitchTripped, PortfolioBusy, TrimtabError
from trimtab.ledger.driver_lock import DatabaseLock
from trimtab.redaction import redact

Report = Callable[[FleetEvent], None]
BuildBot = Callable[[Config, Path], Bot]
#: How often a standby process tries to take over the portfolios another one drives (seconds).
TAKEOVER_SECONDS = 5.0

__all__ = ["Fleet", "ServedPortfolio"]


class ServedPortfolio:
    """One portfolio of the fleet: its bot, its state, its last run and next check."""

    def __init__(
        self, served: ServedConfig, bot: Bot, lock: contextlib.ExitStack, held: object = None
    ) -> None:
        self.served = served
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
        #: The PostgreSQL advisory lock when the ledger is shared (None: file locks, never lost).
        self.shared_lock = held if isinstance(held, DatabaseLock) else None
        if self.shared_lock is not None:
            bot.still_driving = self.shared_lock.still_held
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

    def __init__(
        self,
        portfolios: Sequence[ServedPortfolio],
        report: Report,
        *,
        standby: Sequence[StandbyPortfolio] = (),
        build: BuildBot = build_bot,
        takeover_seconds: float = TAKEOVER_SECONDS,
    ) -> None:
        self.portfolios = {p.name: p for p in portfolios}
        #: The portfolios another process drives (sharing their PostgreSQL ledger), by name.
        self.standby = {p.name: p for p in standby}
        self._report = report
        self._build = build
        self._takeover_seconds = takeover_seconds
        self._stopping = False
        self._stopped = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        configs: Sequence[ServedConfig],
        report: Report,
        *,
        build: BuildBot = build_bot,
        takeover_seconds: float = TAKEOVER_SECONDS,
    ) -> Fleet:
        """Take each portfolio's lock and build its bot. A portfolio driven elsewhere is reported and
        skipped, or, when its ledger is on PostgreSQL, kept on standby to be taken over; raises
        :class:`NothingToServe` when none is left, and ConfigError for two portfolios with one name, one
        data folder or one ledger, or a config the bot cannot be built from."""
        check_distinct(configs)
        opened: list[ServedPortfolio] = []
        standby: list[StandbyPortfolio] = []
        busy: list[str] = []
        try:
            for served in configs:
                try:
                    stack, held = _hold(served)
                except PortfolioBusy as error:
                    if ledger_schema(served.config, served.path) is not None:
                        waiting = StandbyPortfolio(served, _holder(error))
                        standby.append(waiting)
                        report(StateChanged(served.name, PortfolioState.STANDBY, _standby_reason(waiting)))
                    else:
                        busy.append(f"{served.name}: {error}")
                        report(Busy(served.name, served.path, str(error)))
                    continue
                try:
                    bot = build(served.config, served.path)
                except BaseException:
                    stack.close()
                    raise
                opened.append(ServedPortfolio(served, bot, stack, held))
        except BaseException:
            for portfolio in opened:
                await _close(portfolio)
            raise
        if not opened and not standby:
            raise NothingToServe("nothing to serve: " + "; ".join(busy))
        return cls(opened, report, standby=standby, build=build, takeover_seconds=takeover_seconds)

    def get(self, name: str) -> ServedPortfolio | None:
        return self.portfolios.get(name)

    def start(self) -> None:
        """Start every portfolio's schedule (in the running event loop), except the paused ones, and,
        when a ledger is shared, the watch that takes standby portfolios over (:meth:`_watch`)."""
        for portfolio in self.portfolios.values():
            self._begin(portfolio)
        if self.standby or any(p.shared_lock is not None for p in self.portfolios.values()):
            self._watcher = asyncio.get_running_loop().create_task(
                self._watch(), name="trimtab serve takeover"
            )

    def _begin(self, portfolio: ServedPortfolio) -> None:
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
        self._stopped.set()
        for portfolio in self.portfolios.values():
            if portfolio._scheduler is not None:
                portfolio._scheduler.stop()

    async def stop(self) -> None:
        """Every portfolio finishes the run it is in; then the bots are closed and the locks released."""
        self.stop_schedules()
        if self._watcher is not None:
            await asyncio.gather(self._watcher, return_exceptions=True)  # a takeover going on completes
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
        except PortfolioBusy:  # the bot refused to trade: this process lost the portfolio's lock
            await self._let_go(portfolio, LOST_LOCK)
        except (KillSwitchTripped, AccountMismatch) as error:
            self._halt(portfolio, str(error), error)
        except Exception as error:  # a bug must stop this portfolio, not the others or the service
            self._halt(portfolio, redact(f"unexpected {type(error).__name__}: {error}"), None)

    async def _watch(self) -> None:
        """Every ``takeover_seconds``: hand back a portfolio whose lock was lost, and try to take over each
        standby portfolio (its driver stopped: its lock is free)."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=self._takeover_seconds)
            for portfolio in list(self.portfolios.values()):
                held = portfolio.shared_lock
                if not self._stopping and held is not None and not await asyncio.to_thread(held.still_held):
                    if portfolio._scheduler is not None:
                        portfolio._scheduler.stop()
                    if portfolio._task is not None:
                        await asyncio.gather(portfolio._task, return_exceptions=True)
                    if portfolio.name in self.portfolios:  # its schedule may have let it go itself
                        await self._let_go(portfolio, LOST_LOCK)
            for waiting in list(self.standby.values()):
                if not self._stopping:
                    await self._take_over(waiting)

    async def _take_over(self, waiting: StandbyPortfolio) -> None:
        """Drive ``waiting`` if its lock is free: its bot is built anew (the venue's and the ledger's state
        as the last driver left them) and its first check resumes a run that driver left unfinished."""
        try:
            stack, held = await asyncio.to_thread(_hold, waiting.served)
        except TrimtabError as error:  # still driven, or the database cannot be reached: try again later
            waiting.holder = _holder(error)
            return
        try:
            bot = self._build(waiting.served.config, waiting.served.path)
        except Exception as error:
            stack.close()
            waiting.holder = redact(f"could not take it over: {error}")
            self._report(StateChanged(waiting.name, PortfolioState.STANDBY, waiting.holder))
            return
        portfolio = ServedPortfolio(waiting.served, bot, stack, held)
        if self._stopping:
            await _close(portfolio)
            return
        del self.standby[waiting.name]
        self.portfolios[portfolio.name] = portfolio
        self._report(
            StateChanged(
                portfolio.name, PortfolioState.RUNNING, "taken over: the process that drove it stopped"
            )
        )
        self._begin(portfolio)

    async def _let_go(self, portfolio: ServedPortfolio, reason: str) -> None:
        """Stop driving ``portfolio`` (its lock was lost) and wait on standby to take it over again."""
        self.portfolios.pop(portfolio.name, None)
        with contextlib.suppress(Exception):
            await _close(portfolio)
        self.standby[portfolio.name] = StandbyPortfolio(
            portfolio.served, "nobody yet: this process lost its lock"
        )
        self._report(StateChanged(portfolio.name, PortfolioState.STANDBY, reason))

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


LOST_LOCK = (
    "its lock was lost (the PostgreSQL session ended: the server restarted or the network failed); "
    "no run starts until this process holds it again"
)


def _holder(error: TrimtabError) -> str:
    """Who drives a portfolio, from the lock's refusal, or why the lock cannot be had now."""
    if isinstance(error, PortfolioBusy):
        return str(error).removeprefix("portfolio busy: ").split(" holds ", 1)[0]
    return f"unknown ({error})"


def _standby_reason(waiting: StandbyPortfolio) -> str:
    return f"driven by {waiting.holder}; taken over when it stops"


def _hold(served: ServedConfig) -> tuple[contextlib.ExitStack, object]:
    """The portfolio's lock, held until the returned stack is closed (and the lock itself)."""
    stack = contextlib.ExitStack()
    held = stack.enter_context(hold_portfolio(served.config, served.path, "serve"))
    return stack, held


def check_distinct(configs: Sequence[ServedConfig]) -> None:
    """Refuse two portfolios with one name, one data folder or one ledger (naming both files)."""
    names: dict[str, Path] = {}
    folders: dict[Path, Path] = {}
    ledgers: dict[tuple[str, str | None], Path] = {}
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
        # One PostgreSQL database holds many portfolios, one schema each: shared only when both match.
        schema = ledger_schema(config, path)
        first = ledgers.setdefault((ledger_url(config, path), schema), path)
        if first != path:
            if schema is None:
                raise ConfigError(str(path), "database_url", f"the ledger is also the ledger of {first}")
            raise ConfigError(
                str(path),
                "database_schema",
                f"the ledger's schema {schema} is also the schema of {first}; give each its own database_schema",
            )


async def _close(portfolio: ServedPortfolio) -> None:
    try:
        await portfolio.bot.close()
    finally:
        portfolio._lock.close()
