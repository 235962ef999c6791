"""``trimtab reset`` (start the paper account and its ledger over) and the warning the reading commands
print when the two disagree (:mod:`trimtab.execution.agreement`)."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from trimtab.cli.support import (
    DEFAULT_CONFIG,
    ConfigOption,
    DebugOption,
    JsonOption,
    emit_json,
    guarded,
    out,
    warn,
)

if TYPE_CHECKING:
    from trimtab.app.service import Bot

T = TypeVar("T")


async def warning_first(bot: Bot, job: Awaitable[T]) -> T:
    """``job``, after one warning line if the paper account and the ledger disagree (for ``status`` and
    ``plan``, which show the account as it is; the trading commands refuse instead)."""
    problem = bot.account_disagreement()
    if problem is not None:
        warn(problem)
    return await job


def reset(
    config: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False, debug: DebugOption = False
) -> None:
    """Start the paper account over from exchange.balances, with a new ledger.

    Both files are archived (renamed with a .reset-<UTC time> suffix), never deleted."""

    def action() -> None:
        from trimtab.app.portfolio_home import hold_portfolio
        from trimtab.app.reset import refuse_unresettable, reset_paper
        from trimtab.clock import environment_clock, utc_now
        from trimtab.config import load_config

        loaded = load_config(config)
        refuse_unresettable(loaded, config)
        # Never under a running bot: archiving its ledger mid-run would lose what the run records next.
        with hold_portfolio(loaded, config, "reset"):
            done = reset_paper(loaded, config, (environment_clock(True) or utc_now)())
        moves = [("paper account", done.account), ("ledger", done.ledger or done.schema)]
        if as_json:
            emit_json(
                {
                    what.replace(" ", "_"): None
                    if move is None
                    else {"from": str(move[0]), "to": str(move[1])}
                    for what, move in moves
                }
            )
            return
        for what, move in moves:
            if isinstance(move, tuple) and isinstance(move[1], Path):
                out.print(f"Archived the {what} {move[0]} as {move[1].name}.")
            elif move is not None:
                out.print(f"Archived the {what}'s schema {move[0]} as {move[1]}.")
        if done.account is None and done.ledger is None and done.schema is None:
            out.print("Nothing to reset: there is no paper account or ledger yet.")
        else:
            out.print("The next command starts the paper account from exchange.balances, with a new ledger.")

    guarded(debug, action)
