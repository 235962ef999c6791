"""German private sales of crypto (§ 23 EStG): taxable and tax-free disposals of one calendar year.

Rules (not tax advice):

- Selling for EUR, swapping for another crypto and paying with crypto are private sales (§ 23(1) S. 1
  Nr. 2 EStG; BMF 06.03.2025 Rz. 53-54). Gain = proceeds - acquisition cost - Werbungskosten: the
  records carry the fees inside cost and proceeds (:func:`trimtab.tax.normalize.normalize`), and a sale
  fee is split pro rata to units between the taxable and the tax-free pieces (Rz. 57).
- Order of use: **FIFO per wallet** ("walletbezogene Betrachtung", BMF 06.03.2025 Rz. 61-62); every
  exchange account is a wallet. ``per_wallet=False`` is the legacy global FIFO some older tools and
  guides use, for comparison only.
- A piece is taxable when held **not more than one year** (§ 23(1) S. 1 Nr. 2; § 108 AO with §§ 187(1),
  188(2), (3) BGB; :func:`trimtab.tax.dates.de_taxable`), in Europe/Berlin calendar dates: bought
  10.03.2024, a sale on 10.03.2025 is taxable, from 11.03.2025 tax-free; bought 29.02.2024, tax-free from
  01.03.2025. Gains *and losses* of pieces held longer are irrelevant (§ 23(1) S. 1 Nr. 2 EStG).
- **Freigrenze** (§ 23(3) S. 5): the year's net § 23 result stays tax-free if it is *weniger als* the
  threshold (600 EUR up to 2023, 1,000 EUR from 2024, Wachstumschancengesetz); at or above it, the
  whole result is taxed (a cliff, not an allowance). The test is on the net result of *all* the
  person's private sales of the year before loss carry-back or carry-forward: this report
  sees only its records, so ``taxable`` assumes there are no others.
- There is no wash-sale rule: selling at a loss and buying back at once is not abuse (BFH 25.08.2009
  IX R 60/07), but the buy-back starts a new one-year period (it is a new lot).
- A crypto fee is the disposal of the fee units (the :class:`Sale` with ``fee=True`` from normalize):
  it is treated like any sale here. Whether the BMF letter treats it so is not settled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from trimtab.errors import TaxError
from trimtab.model.money import ZERO
from trimtab.tax.dates import DEFAULT_ZONES, de_taxable, local_date
from trimtab.tax.lots import LotBook, allocate, fifo
from trimtab.tax.model import Disposal
from trimtab.tax.normalize import Acquisition, Record, in_time_order

DE_ZONE = ZoneInfo(DEFAULT_ZONES["de"])

# § 23(3) S. 5 EStG, by first tax year it applies to. Crypto (2009 on) needs nothing earlier.
FREIGRENZE: dict[int, Decimal] = {2009: Decimal(600), 2024: Decimal(1000)}


def freigrenze(year: int) -> Decimal:
    """The Freigrenze of tax ``year``: 600 EUR up to 2023, 1,000 EUR from 2024."""
    since = [start for start in FREIGRENZE if start <= year]
    if not since:
        raise TaxError(f"no § 23 Freigrenze known for {year} (the table starts in {min(FREIGRENZE)})")
    return FREIGRENZE[max(since)]


@dataclass(frozen=True, slots=True)
class GermanReport:
    """The disposals of calendar ``year`` (``taxable`` True or False on each row) and the § 23 result.

    ``taxable_result`` is the net gain of the taxable rows (negative for a net loss, which is carried
    back or forward under § 10d); ``taxable`` is what is taxed after the Freigrenze: 0 when
    ``taxable_result < freigrenze``, else all of it. ``tax_free_result`` (rows held > 1 year) is for
    information. ``book`` holds the lots left open after *all* the records.
    """

    year: int
    disposals: tuple[Disposal, ...]
    taxable_result: Decimal
    taxable: Decimal
    freigrenze: Decimal
    tax_free_result: Decimal
    book: LotBook = field(compare=False, repr=False)


def de_report(
    records: Iterable[Record],
    *,
    year: int,
    zone: ZoneInfo = DE_ZONE,
    per_wallet: bool = True,
) -> GermanReport:
    """§ 23 EStG result of calendar ``year`` from *all* ``records`` (earlier years build the lots).

    Records are taken in time order (same-time records keep their order). Raises
    :class:`~trimtab.tax.lots.TaxError` on a sale of more than the wallet holds.
    """
    return de_reports(records, years=(year,), zone=zone, per_wallet=per_wallet)[year]


def de_reports(
    records: Iterable[Record],
    *,
    years: Iterable[int],
    zone: ZoneInfo = DE_ZONE,
    per_wallet: bool = True,
) -> dict[int, GermanReport]:
    """:func:`de_report` of each of ``years`` from one walk through the history (a backtest's every
    year at the cost of one); the reports share one ``book``, the lots left after all the records."""
    thresholds = {year: freigrenze(year) for year in years}  # an unknown year fails before any work
    book = LotBook()
    by_year: dict[int, list[Disposal]] = {year: [] for year in thresholds}
    for record in in_time_order(records):
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
        rows = by_year.get(disposed.year)
        if rows is None:  # a year not asked for: its lots are consumed, its rows not needed
            continue
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
    reports: dict[int, GermanReport] = {}
    for year, threshold in thresholds.items():
        in_year = tuple(by_year[year])
        result = sum((row.gain for row in in_year if row.taxable), ZERO)
        free = sum((row.gain for row in in_year if not row.taxable), ZERO)
        taxed = result if result >= threshold else ZERO
        reports[year] = GermanReport(year, in_year, result, taxed, threshold, free, book)
    return reports
