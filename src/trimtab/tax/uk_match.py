"""UK share matching for cryptoassets: same day, 30 days, then the section 104 pool.

HMRC applies the share identification rules of TCGA 1992 to each type of cryptoasset token
(CRYPTO22200). Wallets do not matter: one pool per token across all of the taxpayer's wallets. A
disposal of a token is matched, in this order:

1. **Same day** (s105(1), HMRC CG51560): all acquisitions of the token on one local day are treated as
   one acquisition, all disposals of that day as one disposal, and the two are matched first.
2. **30 days / "bed and breakfast"** (s106A(5), (5A)): what is left of a day's disposal is matched with
   acquisitions in the 30 days *after* it (``day < acquisition day <= day + 30``), earliest acquisition
   first, disposals taken earliest first (CRYPTO22253). Only the part of an acquisition that its own
   day's same-day match left over is available: every day's same-day match is made before any 30-day
   match (cgt-calc had this the other way round and fixed it in PR #38).
3. **Section 104 pool** (s104): the rest comes out of the pool at average cost. The pool holds a total
   amount and a total allowable cost (acquisition fees included, CRYPTO22200).

An acquisition matched under rules 1 or 2 never enters the pool, so the pool depends on acquisitions up
to 30 days *after* a disposal. The matcher therefore works on the whole history at once, by local day:
first every day's same-day match, then the 30-day matches (days in order), then one pass through the
days that feeds the pool and draws on it.

Exactness (Decimal only): a day's acquisition cost is spent the way a pool is: a part takes
``cost_left * part / amount_left``, the last part takes all that is left, so the pieces always add up to
what was paid. A day's disposal proceeds are split pro rata by amount over its matched pieces, the last
piece taking the remainder, so the rows of a day add up to its proceeds exactly.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from trimtab.model.money import ZERO
from trimtab.tax.dates import local_date
from trimtab.tax.model import Disposal, MatchRule
from trimtab.tax.normalize import Acquisition, Record, Sale

THIRTY_DAYS = timedelta(
    days=30
)  # s106A(5): acquisitions "within the period of thirty days after" the disposal


@dataclass(frozen=True, slots=True)
class Section104Pool:
    """A token's section 104 holding (TCGA 1992 s104): units not matched under the same-day or 30-day
    rules and their total allowable cost in GBP (fees included)."""

    asset: str
    amount: Decimal
    cost: Decimal

    @property
    def unit_cost(self) -> Decimal:
        return self.cost / self.amount if self.amount else ZERO


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """The matched disposals of one token over the whole history, and its pool over time.

    ``disposals`` are in local-day order; within a day: the same-day row, the 30-day rows (acquisition
    day order), the pool row. ``pool_history`` has one ``(day, pool)`` entry per local day that changed
    the pool, the pool as it stands at the end of that day.
    """

    asset: str
    disposals: tuple[Disposal, ...]
    pool_history: tuple[tuple[date, Section104Pool], ...]

    def pool_at(self, day: date) -> Section104Pool:
        """The pool at the end of local day ``day`` (empty before the first acquisition)."""
        index = bisect.bisect_right([entry[0] for entry in self.pool_history], day)
        return self.pool_history[index - 1][1] if index else Section104Pool(self.asset, ZERO, ZERO)


class _Piece(NamedTuple):
    rule: MatchRule
    acquired: date | None
    amount: Decimal
    cost: Decimal


@dataclass(slots=True)
class _Day:
    """One local day of one token: its acquisitions as one, its disposals as one (s105(1)(a))."""

    day: date
    bought: Decimal = ZERO
    cost: Decimal = ZERO
    sold: Decimal = ZERO
    proceeds: Decimal = ZERO
    wallets: set[str] = field(default_factory=set)  # the wallets the day's disposals came from
    unmatched: Decimal = ZERO  # acquired units not matched yet (what is left enters the pool)
    unmatched_cost: Decimal = ZERO
    to_match: Decimal = ZERO  # disposed-of units not matched yet
    pieces: list[_Piece] = field(default_factory=list)

    def take(self, amount: Decimal) -> Decimal:
        """Match ``amount`` of the day's unmatched acquired units; return their allowable cost."""
        if amount == self.unmatched:
            cost = self.unmatched_cost
        else:
            cost = self.unmatched_cost * amount / self.unmatched
        self.unmatched -= amount
        self.unmatched_cost -= cost
        return cost

    def match(self, rule: MatchRule, acquired: date | None, amount: Decimal, cost: Decimal) -> None:
        self.pieces.append(_Piece(rule, acquired, amount, cost))
        self.to_match -= amount


def match_uk(records: Iterable[Record], zone: ZoneInfo) -> dict[str, TokenMatch]:
    """Match every disposal in ``records`` (GBP, fees applied) under s105, s106A and s104, per token.

    ``zone`` is the taxpayer's time zone: days are local calendar days (Europe/London: GMT or BST).
    Raises ValueError when a disposal needs more units from the pool than it holds (missing
    acquisitions), or on a record with a non-positive amount.
    """
    by_asset: defaultdict[str, dict[date, _Day]] = defaultdict(dict)
    problems: dict[str, str] = {}  # the first bad record of each token
    for record in records:  # one pass, keeping only each token's days
        if record.asset in problems:
            continue
        if record.amount <= 0:
            problems[record.asset] = (
                f"line {record.line}: {record.asset} amount {record.amount} is not positive"
            )
            continue
        _add(by_asset[record.asset], record, zone)
    matches: dict[str, TokenMatch] = {}
    for asset in sorted(by_asset.keys() | problems.keys()):
        if asset in problems:
            raise ValueError(problems[asset])
        matches[asset] = _match_days(asset, _ordered(by_asset[asset]))
    return matches


def match_token(asset: str, records: Iterable[Record], zone: ZoneInfo) -> TokenMatch:
    """Match the disposals of one token (every record must be of ``asset``); see :func:`match_uk`."""
    days: dict[date, _Day] = {}
    for record in records:
        if record.asset != asset:
            raise ValueError(f"line {record.line}: a {record.asset} record among the {asset} records")
        if record.amount <= 0:
            raise ValueError(f"line {record.line}: {record.asset} amount {record.amount} is not positive")
        _add(days, record, zone)
    return _match_days(asset, _ordered(days))


def _match_days(asset: str, days: list[_Day]) -> TokenMatch:
    for day in days:  # 1. same day, s105(1): every day before any 30-day match
        if day.sold and day.bought:
            amount = min(day.sold, day.bought)
            day.match(MatchRule.SAME_DAY, day.day, amount, day.take(amount))
    _thirty_day(days)  # 2. s106A(5), (5A)
    pool_history = _pool(asset, days)  # 3. s104
    disposals = tuple(row for day in days for row in _disposals(asset, day))
    return TokenMatch(asset, disposals, pool_history)


def _add(days: dict[date, _Day], record: Record, zone: ZoneInfo) -> None:
    """Add ``record`` to its local day's acquisitions or disposals."""
    when = local_date(record.time, zone)
    day = days.get(when)
    if day is None:
        day = days[when] = _Day(when)
    if isinstance(record, Acquisition):
        day.bought += record.amount
        day.cost += record.cost
    elif isinstance(record, Sale):
        day.sold += record.amount
        day.proceeds += record.proceeds
        day.wallets.add(record.wallet)


def _ordered(days: dict[date, _Day]) -> list[_Day]:
    ordered = [days[when] for when in sorted(days)]
    for day in ordered:
        day.unmatched, day.unmatched_cost, day.to_match = day.bought, day.cost, day.sold
    return ordered


def _thirty_day(days: list[_Day]) -> None:
    """s106A(5), (5A): disposals earliest first, each with the acquisitions of the next 30 days,
    earliest first, as far as their same-day match and earlier disposals left them unmatched."""
    when = [day.day for day in days]
    for index, disposal in enumerate(days):
        if not disposal.to_match:
            continue
        end = bisect.bisect_right(when, disposal.day + THIRTY_DAYS)
        for acquisition in days[index + 1 : end]:  # strictly after the disposal day
            if not disposal.to_match:
                break
            if acquisition.unmatched:
                amount = min(disposal.to_match, acquisition.unmatched)
                disposal.match(MatchRule.THIRTY_DAY, acquisition.day, amount, acquisition.take(amount))


def _pool(asset: str, days: list[_Day]) -> tuple[tuple[date, Section104Pool], ...]:
    """s104: unmatched acquisitions enter the pool; unmatched disposals leave it at average cost.

    After the same-day match a day has unmatched acquisitions or an unmatched disposal, never both.
    """
    amount = cost = ZERO
    history: list[tuple[date, Section104Pool]] = []
    for day in days:
        if not (day.unmatched or day.to_match):
            continue
        amount += day.unmatched
        cost += day.unmatched_cost
        if day.to_match:
            if day.to_match > amount:
                raise ValueError(
                    f"{asset}: the disposals of {day.day.isoformat()} need {day.to_match} from the "
                    f"section 104 pool, which holds {amount} (acquisitions or transfers in missing?)"
                )
            taken = cost if day.to_match == amount else cost * day.to_match / amount
            amount -= day.to_match
            cost -= taken
            day.match(MatchRule.POOL, None, day.to_match, taken)
        history.append((day.day, Section104Pool(asset, amount, cost)))
    return tuple(history)


def _disposals(asset: str, day: _Day) -> list[Disposal]:
    """The day's matched pieces as rows, its proceeds split pro rata by amount (last piece: remainder).

    ``wallet`` is the wallet of the day's disposals when they all came from one wallet, else "": the
    same-day rule makes them one disposal, and the pool is not kept per wallet.
    """
    wallet = next(iter(day.wallets)) if len(day.wallets) == 1 else ""
    rows: list[Disposal] = []
    allocated = ZERO
    last = len(day.pieces) - 1
    for index, piece in enumerate(day.pieces):
        proceeds = day.proceeds - allocated if index == last else day.proceeds * piece.amount / day.sold
        allocated += proceeds
        rows.append(
            Disposal(
                asset=asset,
                wallet=wallet,
                amount=piece.amount,
                acquired=piece.acquired,
                disposed=day.day,
                proceeds=proceeds,
                cost=piece.cost,
                rule=piece.rule,
            )
        )
    return rows
