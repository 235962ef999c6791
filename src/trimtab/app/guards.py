"""The guards: checks of the market made before any order of a run (config ``guards:``).

:func:`check_guards` is pure: a snapshot, the managed assets, the config's :class:`Guards`, the price of
the quote's reference pair and the crash holds in; the findings, the assets frozen for the run and
(perhaps) why the run must stop out. :func:`guard_portfolio` gathers those inputs for a
:class:`~trimtab.app.service.Bot` (the reference price from the venue, the holds from the ledger).

- A market the venue reports halted, in break or delisted freezes its asset for the run: not traded,
  the rest rebalanced around it (:mod:`trimtab.planning.frozen_assets`). So does a market gone from the
  venue altogether, valued at the ledger's last price (:func:`trimtab.app.parts.read_snapshot`).
- The quote stablecoin more than ``depeg_percent`` from 1 on its reference pair stops the run; a venue
  without that pair cannot be checked (and is not stopped).
- A price older than ``max_price_age`` (of a market not frozen) stops the run; a venue that gives no
  time with its prices cannot be checked.
- An asset down more than ``crash_percent`` over 24 hours is held back: frozen in this run and every
  later one until the owner resumes it (``trimtab guards --resume``); the ledger keeps the hold. For a
  day after a resume the crash guard leaves that asset alone, so the crash it was resumed after does
  not hold it again at once.

A run stopped by a guard raises :class:`~trimtab.errors.MarketUnsafe`: the bot did nothing wrong, so the
kill switch does not count it; the run is recorded as skipped with the guard's message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from trimtab.app.outcomes import PortfolioView
from trimtab.app.parts import BotParts
from trimtab.config.guards_section import Guards, default_depeg_reference
from trimtab.ledger.records import GuardFinding, GuardHold, GuardKind
from trimtab.model.money import HUNDRED, fmt
from trimtab.model.portfolio import Snapshot

#: How long after the owner resumes an asset the crash guard leaves it alone.
RESUMED_FOR = timedelta(days=1)
#: How a market's status reads in a sentence ("SOL/USDT is in break").
_STATUS_WORDS = {"break": "in break"}


@dataclass(frozen=True)
class GuardCheck:
    """What the guards found: every finding (for the ledger and the owner), the assets frozen for the run
    with their reasons, and the one-line reason the run stops (None: it goes on)."""

    findings: tuple[GuardFinding, ...] = ()
    frozen: Mapping[str, str] = field(default_factory=dict)
    stop: str | None = None


def check_guards(
    snapshot: Snapshot,
    assets: Sequence[str],
    guards: Guards,
    *,
    venue: str,
    reference_price: Decimal | None,
    holds: Sequence[GuardHold] = (),
    resumed: Sequence[GuardHold] = (),
) -> GuardCheck:
    """The guards' findings on ``snapshot`` for the managed ``assets`` (see the module)."""
    quote, now = snapshot.quote, snapshot.taken_at
    tradable = [a for a in assets if a != quote]
    findings: list[GuardFinding] = []
    frozen: dict[str, str] = {}
    for asset in tradable:
        rules = snapshot.markets.get(asset)
        if rules is not None and not rules.trading:
            state = f"{rules.symbol} is {_STATUS_WORDS.get(rules.status, rules.status)}"
            message = f"{state} on {venue}: {asset} is frozen for this run"
            if asset in snapshot.frozen:  # gone from the venue, valued at its last recorded price (app.parts)
                state = message = snapshot.frozen[asset]
            findings.append(GuardFinding(GuardKind.MARKET, asset, message))
            frozen[asset] = state
    stop = _depeg(guards, quote, reference_price)
    if stop is not None:
        findings.append(GuardFinding(GuardKind.DEPEG, quote, stop))
        return GuardCheck(tuple(findings), frozen, stop)
    stale = _stale(guards, snapshot, [a for a in tradable if a not in frozen], now)
    if stale is not None:
        findings.append(stale)
        return GuardCheck(tuple(findings), frozen, stale.message)
    held = {h.asset: h for h in holds}
    recently_resumed = {
        h.asset for h in resumed if h.resumed_at is not None and now - h.resumed_at < RESUMED_FOR
    }
    for asset in tradable:
        if asset in held:
            hold = held[asset]
            message = f"{asset} is held back since {hold.since:%Y-%m-%d %H:%M} UTC ({hold.reason})"
            findings.append(GuardFinding(GuardKind.HELD, asset, message))
            frozen.setdefault(asset, f"{asset} is held back by the crash guard until resumed")
            continue
        change = snapshot.day_changes.get(asset)
        limit = guards.crash_percent
        if limit is None or change is None or -change <= limit or asset in recently_resumed:
            continue
        message = (
            f"{asset} fell {fmt(-change, 2)} % in 24 h, more than guards.crash_percent ({fmt(limit)} %): "
            "not bought until resumed"
        )
        findings.append(GuardFinding(GuardKind.CRASH, asset, message))
        frozen.setdefault(asset, f"{asset} fell {fmt(-change, 2)} % in 24 h")
    return GuardCheck(tuple(findings), frozen)


def _depeg(guards: Guards, quote: str, price: Decimal | None) -> str | None:
    limit = guards.depeg_percent
    reference = guards.depeg_reference or default_depeg_reference(quote)
    if limit is None or reference is None or price is None:
        return None
    off = abs(price - 1) * HUNDRED
    if off <= limit:
        return None
    return (
        f"{quote} is off its peg: {reference} trades at {fmt(price)}, {fmt(off, 2, fixed=True)} % from 1, more than "
        f"guards.depeg_percent ({fmt(limit)} %); the run stops before any order"
    )


def _stale(guards: Guards, snapshot: Snapshot, assets: Sequence[str], now: datetime) -> GuardFinding | None:
    limit = guards.max_price_age
    if limit is None:
        return None
    times = snapshot.price_times
    ages = {a: now - times[a] for a in assets if a in times}
    allowed = timedelta(seconds=float(limit))
    too_old = [(age, a) for a, age in ages.items() if age > allowed]
    if not too_old:
        return None
    age, asset = max(too_old)
    message = (
        f"the last price of {asset}/{snapshot.quote} is {_spoken(age)} old (from {times[asset]:%Y-%m-%d %H:%M:%S} "
        f"UTC), more than guards.max_price_age ({_spoken(allowed)}); the run stops "
        "before any order"
    )
    return GuardFinding(GuardKind.STALE, asset, message)


def _spoken(age: timedelta) -> str:
    """``age`` in its largest unit: ``45s``, ``15m``, ``2h 5m``, ``3d 4h``."""
    seconds = int(age.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {seconds}s" if seconds else f"{minutes}m"
    return f"{seconds}s"


async def guard_portfolio(parts: BotParts, view: PortfolioView) -> tuple[PortfolioView, GuardCheck]:
    """``view`` with the frozen assets in its snapshot, and the guards' check, for ``parts``' guards
    (none: the view as it is); reads the quote's reference price from the venue and the holds from
    the ledger."""
    guards = parts.guards
    if guards is None:
        return view, GuardCheck()
    snapshot = view.snapshot
    now = snapshot.taken_at
    check = check_guards(
        snapshot,
        view.assets,
        guards,
        venue=parts.venue.name,
        reference_price=await _reference_price(parts, guards, snapshot),
        holds=parts.ledger.guard_holds(),
        resumed=parts.ledger.guard_holds(resumed_since=now - RESUMED_FOR),
    )
    if not check.frozen:
        return view, check
    return replace(view, snapshot=replace(snapshot, frozen={**snapshot.frozen, **check.frozen})), check


async def _reference_price(parts: BotParts, guards: Guards, snapshot: Snapshot) -> Decimal | None:
    """The last price of the quote's reference pair (None when it is off or the venue lacks the pair)."""
    reference = guards.depeg_reference or default_depeg_reference(snapshot.quote)
    if guards.depeg_percent is None or reference is None:
        return None
    base, quote = reference.split("/")
    if quote == snapshot.quote and base in snapshot.prices:
        return snapshot.prices[base]
    return (await parts.venue.fetch_prices(quote, [base])).get(base)
