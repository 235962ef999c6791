"""A straightforward reference for the tax reports, to check the fast ones against (tests only).

This is the lot book and the report walks as they were before they were made fast (trimtab 2026-12,
commit a347f31): every sale sorts every candidate lot, finds and replaces lots in plain lists, and
keeps every row of every year. Slow (quadratic in the open lots) but plain to read: the fast
:class:`trimtab.tax.lots.LotBook`, :func:`trimtab.tax.us.us_reports`, :func:`trimtab.tax.germany.de_reports`,
:func:`trimtab.tax.uk_match.match_uk` and :func:`trimtab.tax.normalize.records_in_time_order` must
give exactly what these give (tests/tax/test_fast_equivalence.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from typing import Any
from zoneinfo import ZoneInfo

from trimtab.errors import TaxError
from trimtab.model.money import ZERO
from trimtab.tax.dates import de_taxable, local_date, us_long_term
from trimtab.tax.germany import DE_ZONE, freigrenze
from trimtab.tax.lots import Oversold, allocate, lot_id_key
from trimtab.tax.model import Disposal, EventType, Lot, TaxEvent, Term
from trimtab.tax.normalize import Acquisition, Record, Sale, fee_value
from trimtab.tax.uk_match import TokenMatch, match_token
from trimtab.tax.us import METHODS, PER_WALLET_FROM, US_ZONE, Method
from trimtab.tax.wash_sale import WINDOW, wash_sale_enabled

LotOrder = Callable[[Sequence[Lot]], Sequence[Lot]]

_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)

LotOrder = Callable[[Sequence[Lot]], Sequence[Lot]]
"""Takes the candidate lots, returns the ones a sale may consume, in the order it consumes them."""


def exact_sub(a: Decimal, b: Decimal) -> Decimal:
    """``a - b`` without rounding (addition and subtraction are exact at unlimited precision)."""
    with localcontext(_EXACT):
        return a - b


def fifo_key(lot: Lot) -> tuple[datetime, tuple[tuple[int, str], ...]]:
    return lot.acquired, lot_id_key(lot.lot_id)


def fifo(lots: Sequence[Lot]) -> list[Lot]:
    """First in, first out: by acquisition time, then lot id (IRS FAQ Q39-Q41: the original acquisition
    date counts, not the date the units came into the wallet)."""
    return sorted(lots, key=fifo_key)


def by_key(key: Callable[[Lot], Any]) -> LotOrder:
    """A standing order: lots by ``key`` ascending, ties first in, first out."""

    def order(lots: Sequence[Lot]) -> list[Lot]:
        return sorted(fifo(lots), key=key)

    return order


def _hifo_key(lot: Lot) -> Decimal:
    return -lot.unit_cost


hifo: LotOrder = by_key(_hifo_key)
"""Highest in, first out: highest unit cost (fees included) first, ties first in, first out."""


def specific(lot_ids: Sequence[str]) -> LotOrder:
    """Specific identification: only the listed lots, in the listed order. Every id must be open
    (pieces sharing an id after a split or a transfer are taken first in, first out)."""

    def order(lots: Sequence[Lot]) -> list[Lot]:
        chosen: list[Lot] = []
        for lot_id in lot_ids:
            matching = [lot for lot in fifo(lots) if lot.lot_id == lot_id]
            if not matching:
                raise TaxError(f"lot {lot_id} is not open here (open: {', '.join(_ids(lots)) or 'none'})")
            chosen.extend(matching)
        return chosen

    return order


def _ids(lots: Iterable[Lot]) -> list[str]:
    return sorted({lot.lot_id for lot in lots}, key=lot_id_key)


def _where(asset: str, wallet: str, when: datetime | None, line: int) -> str:
    at = f" at {when.isoformat()}" if when is not None else ""
    src = f" (line {line})" if line else ""
    return f"{asset} from wallet {wallet!r}{at}{src}"


class ReferenceBook:
    """Open lots per asset and wallet. Lots are immutable; the book replaces them as they are split."""

    def __init__(self) -> None:
        self._lots: dict[str, dict[str, list[Lot]]] = {}
        self._next_id = 1
        self._sub_ids: dict[str, int] = {}

    def copy(self) -> ReferenceBook:
        """An independent copy (lots are immutable, so the lists are all that is copied)."""
        other = ReferenceBook()
        other._lots = {a: {w: list(lots) for w, lots in ws.items()} for a, ws in self._lots.items()}
        other._next_id = self._next_id
        other._sub_ids = dict(self._sub_ids)
        return other

    def add(self, acquisition: Acquisition) -> Lot:
        """A new lot for ``acquisition`` (its cost includes the fees), with the next id."""
        if acquisition.amount <= 0:
            raise TaxError(f"line {acquisition.line}: acquired amount must be > 0, got {acquisition.amount}")
        lot = Lot(
            str(self._next_id),
            acquisition.asset,
            acquisition.wallet,
            acquisition.amount,
            acquisition.cost,
            acquisition.time,
        )
        self._next_id += 1
        self._put(lot)
        return lot

    def _put(self, lot: Lot) -> None:
        self._lots.setdefault(lot.asset, {}).setdefault(lot.wallet, []).append(lot)

    def open_lots(self, asset: str | None = None, wallet: str | None = None) -> tuple[Lot, ...]:
        """The open lots (optionally of one asset and/or wallet), first in, first out. Read-only."""
        found = [
            lot
            for a, wallets in self._lots.items()
            if asset is None or a == asset
            for w, lots in wallets.items()
            if wallet is None or w == wallet
            for lot in lots
        ]
        return tuple(sorted(found, key=lambda lot: (lot.asset, *fifo_key(lot), lot.wallet)))

    def held(self, asset: str, wallet: str | None = None) -> Decimal:
        """Units of ``asset`` in ``wallet`` (every wallet when None)."""
        wallets = self._lots.get(asset, {})
        return sum((lot.amount for w, lots in wallets.items() if wallet in (None, w) for lot in lots), ZERO)

    def pick(
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: LotOrder = fifo,
        *,
        universal: bool = False,
        when: datetime | None = None,
        line: int = 0,
    ) -> list[Lot]:
        """The pieces a sale of ``amount`` would consume, without changing the book (a dry run).

        Each piece is a :class:`Lot` with the consumed amount and its pro-rata share of the cost (the
        whole rest of the cost when it takes the rest of the lot). Raises :class:`TaxError` when the
        wallet (or the specifically identified lots) hold less than ``amount``.
        """
        return [piece for _, piece in self._plan(asset, wallet, amount, order, universal, when, line)]

    def _plan(
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: LotOrder,
        universal: bool,
        when: datetime | None,
        line: int,
    ) -> list[tuple[Lot, Lot]]:
        """(open lot, consumed piece of it) pairs for :meth:`pick`."""
        if amount <= 0:
            raise TaxError(f"selling {amount} {_where(asset, wallet, when, line)}: amount must be > 0")
        held = self.held(asset, wallet)
        if amount > held:
            raise Oversold(f"selling {amount} {_where(asset, wallet, when, line)}: it holds only {held}")
        ordered = order(self.open_lots(asset, None if universal else wallet))
        pairs: list[tuple[Lot, Lot]] = []
        left = amount
        for lot in ordered:
            if left == 0:
                break
            take = min(left, lot.amount)
            cost = lot.cost if take == lot.amount else lot.cost * take / lot.amount
            pairs.append((lot, replace(lot, amount=take, cost=cost)))
            left = exact_sub(left, take)
        if left > 0:
            chosen = sum((lot.amount for lot in ordered), ZERO)
            raise TaxError(
                f"selling {amount} {_where(asset, wallet, when, line)}: the chosen lots "
                f"{', '.join(_ids(ordered)) or '(none)'} hold only {chosen}"
            )
        return pairs

    def consume(
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: LotOrder = fifo,
        *,
        universal: bool = False,
        when: datetime | None = None,
        line: int = 0,
    ) -> list[Lot]:
        """Remove ``amount`` of ``asset`` sold from ``wallet``; returns the consumed pieces (see
        :meth:`pick`). With ``universal``, lots of other wallets may be consumed and the selling wallet
        then hands its own oldest units to them (see the module docstring)."""
        pieces = self._take(self._plan(asset, wallet, amount, order, universal, when, line))
        for piece in pieces:
            if piece.wallet != wallet:
                handed = self._take(self._plan(asset, wallet, piece.amount, fifo, False, when, line))
                for lot in handed:
                    self._put(replace(lot, wallet=piece.wallet))
        return pieces

    def transfer(
        self,
        asset: str,
        source: str,
        target: str,
        amount: Decimal,
        *,
        when: datetime | None = None,
        line: int = 0,
    ) -> list[Lot]:
        """Move ``amount`` between one's own wallets (not a disposal): the source gives up its oldest
        units, which keep their id, acquisition time and cost (a transfer is not a disposal)."""
        moved = [
            replace(lot, wallet=target)
            for lot in self._take(self._plan(asset, source, amount, fifo, False, when, line))
        ]
        for lot in moved:
            self._put(lot)
        return moved

    def adjust(
        self, lot: Lot, amount: Decimal, *, extra_cost: Decimal, acquired: datetime
    ) -> tuple[Lot, Lot | None]:
        """Split ``amount`` off the open ``lot`` as a new piece ``"<id>.<n>"`` whose cost is its share
        plus ``extra_cost`` and whose acquisition time is ``acquired`` (a US wash-sale replacement:
        disallowed loss added to the basis, holding period tacked on). Returns the new piece and the
        rest of ``lot`` (None when nothing is left)."""
        lots = self._lots[lot.asset][lot.wallet]
        index = next(i for i, open_lot in enumerate(lots) if open_lot is lot)
        share = lot.cost if amount == lot.amount else lot.cost * amount / lot.amount
        number = self._sub_ids.get(lot.lot_id, 0) + 1
        self._sub_ids[lot.lot_id] = number
        piece = replace(
            lot,
            lot_id=f"{lot.lot_id}.{number}",
            amount=amount,
            cost=exact_sub(share, -extra_cost),
            acquired=acquired,
        )
        rest = None if amount == lot.amount else self._rest(lot, amount, share)
        lots[index : index + 1] = [piece] if rest is None else [rest, piece]
        return piece, rest

    @staticmethod
    def _rest(lot: Lot, amount: Decimal, cost: Decimal) -> Lot:
        return replace(lot, amount=exact_sub(lot.amount, amount), cost=exact_sub(lot.cost, cost))

    def _take(self, pairs: list[tuple[Lot, Lot]]) -> list[Lot]:
        """Take each planned piece out of the open lot it came from; returns the pieces."""
        for lot, piece in pairs:
            lots = self._lots[lot.asset][lot.wallet]
            index = next(i for i, open_lot in enumerate(lots) if open_lot is lot)
            if piece.amount == lot.amount:
                del lots[index]
            else:
                lots[index] = self._rest(lot, piece.amount, piece.cost)
        return [piece for _, piece in pairs]


def _base_id(lot_id: str) -> str:
    return lot_id.split(".", 1)[0]


@dataclass(slots=True)
class _Loss:
    """A disposed lot piece whose loss is not yet fully matched with replacement units."""

    index: int  # of its Disposal in the report's list
    asset: str
    disposed: date
    acquired: datetime  # of the sold units: tacked onto the replacement
    sold_ids: frozenset[str]  # purchases the sale consumed: not replacements (Rev. Rul. 56-602)
    units: Decimal  # units not yet matched
    loss: Decimal  # loss not yet disallowed, > 0


class WashSales:
    """Applies the rule while a report walks the history: call :meth:`sold` after each sale and
    :meth:`acquired` after each acquisition. Disposals are updated in the caller's list."""

    def __init__(self, book: ReferenceBook, zone: ZoneInfo, enabled: Callable[[int], bool]) -> None:
        self._book = book
        self._zone = zone
        self._enabled = enabled
        self._pending: list[_Loss] = []

    def sold(self, disposals: list[Disposal], first: int, pieces: list[Lot]) -> None:
        """``disposals[first:]`` are the rows of the sale just made, one per piece in ``pieces``.
        Matches their losses with replacement units already held, and keeps the rest pending."""
        sold_ids = frozenset(_base_id(piece.lot_id) for piece in pieces)
        for index, piece in enumerate(pieces, start=first):
            row = disposals[index]
            if row.gain >= 0 or not self._enabled(row.disposed.year):
                continue
            loss = _Loss(index, row.asset, row.disposed, piece.acquired, sold_ids, row.amount, -row.gain)
            for lot in fifo(self._book.open_lots(row.asset)):
                if loss.units == 0:
                    break
                held_since = local_date(lot.acquired, self._zone)
                if (
                    "." not in lot.lot_id
                    and _base_id(lot.lot_id) not in sold_ids
                    and row.disposed - WINDOW <= held_since <= row.disposed
                ):
                    self._match(loss, lot, disposals)
            if loss.units > 0:
                self._pending.append(loss)

    def acquired(self, lot: Lot, disposals: list[Disposal]) -> None:
        """Matches a new lot with pending losses of the last 30 days, oldest sale first."""
        day = local_date(lot.acquired, self._zone)
        self._pending = [loss for loss in self._pending if day - loss.disposed <= WINDOW and loss.units > 0]
        rest: Lot | None = lot
        for loss in self._pending:
            if rest is None:
                break
            if loss.asset == lot.asset and _base_id(lot.lot_id) not in loss.sold_ids:
                rest = self._match(loss, rest, disposals)

    def _match(self, loss: _Loss, lot: Lot, disposals: list[Disposal]) -> Lot | None:
        """Disallows the part of ``loss`` that ``lot`` replaces; returns what is left of ``lot``."""
        units = min(loss.units, lot.amount)
        disallowed = loss.loss if units == loss.units else loss.loss * units / loss.units
        loss.units = exact_sub(loss.units, units)
        loss.loss = exact_sub(loss.loss, disallowed)
        row = disposals[loss.index]
        disposals[loss.index] = replace(row, adjustment=exact_sub(row.adjustment, -disallowed))
        _, rest = self._book.adjust(lot, units, extra_cost=disallowed, acquired=loss.acquired)
        return rest


def term_of(lot: Lot, disposed: date, zone: ZoneInfo = US_ZONE) -> Term:
    """SHORT or LONG for ``lot`` disposed of on the local date ``disposed`` (IRS Pub. 544)."""
    return Term.LONG if us_long_term(local_date(lot.acquired, zone), disposed) else Term.SHORT


def min_tax_key(
    lot: Lot, unit_price: Decimal, disposed: date, zone: ZoneInfo = US_ZONE
) -> tuple[int, Decimal, datetime, tuple[tuple[int, str], ...]]:
    """Sort key of the ``"min-tax"`` order (lowest after-tax cost per unit first):
    (0) short-term losses, (1) long-term losses, (2) long-term gains, (3) short-term gains; within a
    class the lowest gain per unit first (so the largest loss first), ties first in, first out.
    A lot with no gain at all is taxed nothing whatever its term: it goes with class (2)."""
    gain = unit_price - lot.unit_cost
    long_term = term_of(lot, disposed, zone) is Term.LONG
    if gain < 0:
        return (1 if long_term else 0, gain, *fifo_key(lot))
    rank = 2 if long_term or gain == 0 else 3
    return (rank, gain, *fifo_key(lot))


def order_for(method: Method, unit_price: Decimal, disposed: date, zone: ZoneInfo = US_ZONE) -> LotOrder:
    """The lot order of ``method`` for a sale at ``unit_price`` (proceeds per unit, net of fees) on
    the local date ``disposed``."""
    if method == "fifo":
        return fifo
    if method == "hifo":
        return hifo
    if method == "min-tax":

        def order(lots: Sequence[Lot]) -> list[Lot]:
            return sorted(lots, key=lambda lot: min_tax_key(lot, unit_price, disposed, zone))

        return order
    raise TaxError(f"unknown lot method {method!r} (expected one of {', '.join(METHODS)})")


def _rows(
    pieces: Sequence[Lot], wallet: str, proceeds: Decimal, disposed: date, zone: ZoneInfo
) -> list[Disposal]:
    """One Disposal per consumed piece; proceeds shared pro rata to units, the last piece the rest."""
    shares = allocate(proceeds, [piece.amount for piece in pieces])
    return [
        Disposal(
            asset=piece.asset,
            wallet=wallet,
            amount=piece.amount,
            acquired=local_date(piece.acquired, zone),
            disposed=disposed,
            proceeds=share,
            cost=piece.cost,
            term=term_of(piece, disposed, zone),
            lot_ids=(piece.lot_id,),
        )
        for piece, share in zip(pieces, shares, strict=True)
    ]


def _totals(rows: Iterable[Disposal]) -> tuple[Decimal, Decimal]:
    short = long = ZERO
    for row in rows:
        if row.term is Term.LONG:
            long += row.gain
        else:
            short += row.gain
    return short, long


def reference_us(
    records: Iterable[Record],
    *,
    years: Iterable[int],
    method: Method = "fifo",
    zone: ZoneInfo = US_ZONE,
    wash_sale: bool | None = None,
) -> dict[int, tuple[Any, ...]]:
    """:func:`us_report` of each of ``years`` from one walk through the history (a backtest's every
    year at the cost of one); the reports share one ``book``, the lots left after all the records."""
    order_for(method, ZERO, date(2000, 1, 1), zone)  # reject an unknown method before any work
    book = ReferenceBook()
    rows: list[Disposal] = []
    wash = WashSales(book, zone, lambda y: wash_sale_enabled(y, wash_sale))
    for record in sorted(records, key=lambda r: r.time):
        if isinstance(record, Acquisition):
            wash.acquired(book.add(record), rows)
            continue
        disposed = local_date(record.time, zone)
        unit_price = record.proceeds / record.amount if record.amount > 0 else ZERO  # consume refuses <= 0
        order = order_for(method, unit_price, disposed, zone)
        pieces = book.consume(
            record.asset,
            record.wallet,
            record.amount,
            order,
            universal=disposed < PER_WALLET_FROM,
            when=record.time,
            line=record.line,
        )
        first = len(rows)
        rows.extend(_rows(pieces, record.wallet, record.proceeds, disposed, zone))
        wash.sold(rows, first, pieces)
    by_year: dict[int, list[Disposal]] = {year: [] for year in years}
    for row in rows:
        if row.disposed.year in by_year:
            by_year[row.disposed.year].append(row)
    return {year: (tuple(in_year), *_totals(in_year), book.open_lots()) for year, in_year in by_year.items()}


def reference_de(
    records: Iterable[Record],
    *,
    years: Iterable[int],
    zone: ZoneInfo = DE_ZONE,
    per_wallet: bool = True,
) -> dict[int, tuple[Any, ...]]:
    """:func:`de_report` of each of ``years`` from one walk through the history (a backtest's every
    year at the cost of one); the reports share one ``book``, the lots left after all the records."""
    thresholds = {year: freigrenze(year) for year in years}  # an unknown year fails before any work
    book = ReferenceBook()
    rows: list[Disposal] = []
    for record in sorted(records, key=lambda r: r.time):
        if isinstance(record, Acquisition):
            book.add(record)
            continue
        disposed = local_date(record.time, zone)
        pieces = book.consume(
            record.asset,
            record.wallet,
            record.amount,
            fifo,
            universal=not per_wallet,
            when=record.time,
            line=record.line,
        )
        shares = allocate(record.proceeds, [piece.amount for piece in pieces])
        for piece, share in zip(pieces, shares, strict=True):
            acquired = local_date(piece.acquired, zone)
            rows.append(
                Disposal(
                    asset=piece.asset,
                    wallet=record.wallet,
                    amount=piece.amount,
                    acquired=acquired,
                    disposed=disposed,
                    proceeds=share,
                    cost=piece.cost,
                    taxable=de_taxable(acquired, disposed),
                    lot_ids=(piece.lot_id,),
                )
            )
    reports: dict[int, tuple[Any, ...]] = {}
    for year, threshold in thresholds.items():
        in_year = tuple(row for row in rows if row.disposed.year == year)
        result = sum((row.gain for row in in_year if row.taxable), ZERO)
        free = sum((row.gain for row in in_year if not row.taxable), ZERO)
        taxed = result if result >= threshold else ZERO
        reports[year] = (in_year, result, taxed, free, book.open_lots())
    return reports


def reference_records(events: Iterable[TaxEvent], report_currency: str) -> list[Record]:
    """Acquisitions and sales in time order (rows with the same timestamp keep their order)."""
    ordered = sorted(enumerate(events), key=lambda pair: (pair[1].timestamp, pair[0]))
    records: list[Record] = []
    for _, event in ordered:
        value = fee_value(event, report_currency)
        if event.type is EventType.BUY:
            records.append(
                Acquisition(
                    event.asset, event.wallet, event.amount, event.value + value, event.timestamp, event.line
                )
            )
        elif event.type is EventType.SELL:
            records.append(
                Sale(
                    event.asset, event.wallet, event.amount, event.value - value, event.timestamp, event.line
                )
            )
        else:
            records.append(
                Sale(
                    event.asset,
                    event.wallet,
                    event.amount,
                    event.value,
                    event.timestamp,
                    event.line,
                    fee=True,
                )
            )
            continue  # a fee row's own fee columns are not used
        if value and event.fee_asset != report_currency:
            records.append(
                Sale(event.fee_asset, event.wallet, event.fee, value, event.timestamp, event.line, fee=True)
            )
    return records


def reference_uk(records: Iterable[Record], zone: ZoneInfo) -> dict[str, TokenMatch]:
    """The UK matching of every token, the records grouped per token first (as match_uk did)."""
    by_asset: dict[str, list[Record]] = {}
    for record in records:
        by_asset.setdefault(record.asset, []).append(record)
    return {asset: match_token(asset, rows, zone) for asset, rows in sorted(by_asset.items())}
