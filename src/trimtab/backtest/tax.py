"""After-tax results of a backtest: the tax of each tax year, the tax of liquidating at the end, and
the after-tax final value and CAGR, for the strategy and buy-and-hold alike (``backtest --jurisdiction``).

One model, the same for both runs (an estimate of a jurisdiction's rules, not tax advice):

- Every fill of a run becomes tax events of one wallet, ``backtest``, exactly as the live bot's fills
  do (:func:`trimtab.tax.history.fill_events`): the fee is charged in the asset received, so a buy's
  fee in the coin is added to its cost and those fee units are themselves disposed of; the quote
  (USDT) is cash, not a coin with lots.
- Prices in the quote are converted to the jurisdiction's currency (USD, EUR, GBP) with a daily
  :class:`~trimtab.tax.rates.RateTable` when one is given. Without one, one unit of the quote counts
  as one unit of the currency: the documented default for USDT = USD; for EUR and GBP the figures
  are then really in USDT, and :attr:`StudyTax.parity` says so.
- Each tax year of the run (calendar years; the UK's run 6 April to 5 April and are named by the year
  they start in) has a **realized** result, the sum of its disposals' gains (German sales of lots
  held over a year included, though they are tax-free), and an estimated **tax**:
  :meth:`TaxRules.tax_on <trimtab.tax.jurisdiction.TaxRules.tax_on>` of the year's report (US netting
  and rates, a net loss saving at most 3,000 USD of ordinary income; the German Freigrenze cliff x
  the personal rate; the UK gain above the annual exempt amount x the CGT rate). Each year stands
  alone: loss carry-forwards are not counted, and the run is the taxpayer's only crypto.
- **Liquidation**: everything still held is sold at the last close (no fee) on top of the history; its
  tax is the change it makes to the last year's tax, the same difference as
  :func:`~trimtab.tax.jurisdiction.added_tax` (netting, cliff and exempt amount included).
- **Taxes are paid from outside the portfolio**: a year's tax is not taken out of the equity when it
  falls due, so both portfolios compound untaxed, and the after-tax final value is
  ``final value - tax paid during the run - liquidation tax`` (taxes as nominal amounts, no interest).
  A run that defers more tax gains nothing from it here, nor loses anything: the same model for both.
- The final and initial values (the equity curve's last and first close) are converted at their
  day's rate; the after-tax CAGR is ``(after-tax final / initial) ** (1 / years) - 1`` with the
  metrics' ``years``.

Every year's report comes from one walk through a run's history (``us_reports``, ``de_reports``,
``uk_reports``), and the liquidation from one more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from trimtab.backtest.engine import BacktestRun, Trade
from trimtab.backtest.study import Study
from trimtab.config.models import Config
from trimtab.config.tax_section import Jurisdiction, TaxSection
from trimtab.errors import ParameterError
from trimtab.model.assets import USD_QUOTES
from trimtab.model.money import ONE, ZERO
from trimtab.model.orders import Fill
from trimtab.tax.history import fill_events
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.jurisdictions import JURISDICTIONS as REGISTRY
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.normalize import holdings, normalize
from trimtab.tax.rates import RateTable, load_rates

WALLET = "backtest"
JURISDICTIONS: tuple[str, ...] = tuple(REGISTRY)  # what --jurisdiction may name


@dataclass(frozen=True)
class TaxSetup:
    """The rules and the rates a backtest's tax figures use, and where they came from."""

    rules: TaxRules
    rates: RateTable | None
    source: str  # "the config's tax: section" or "the defaults of us"


def tax_setup(config: Config, config_path: Path, jurisdiction: Jurisdiction, rates: Path | None) -> TaxSetup:
    """The config's ``tax:`` section when its jurisdiction is ``jurisdiction`` (lot method, time zone,
    wash-sale switch, rates), else that jurisdiction's defaults. ``rates`` (``--rates``) wins over
    the section's ``rates_file`` (a path relative to the config file)."""
    section: TaxSection | None = config.tax
    if section is not None and section.jurisdiction == jurisdiction:
        rules, source = TaxRules.from_section(section), "the config's tax: section"
        if rates is None and section.rates_file is not None:
            path = Path(section.rates_file).expanduser()
            rates = path if path.is_absolute() else config_path.parent / path
    else:
        rules, source = TaxRules.defaults(jurisdiction), f"the defaults of {jurisdiction}"
    return TaxSetup(rules, load_rates(rates) if rates is not None else None, source)


@dataclass(frozen=True)
class YearTax:
    """One tax year of a run: the sum of its disposals' gains and its estimated tax (report currency)."""

    year: int
    realized: Decimal
    tax: Decimal


@dataclass(frozen=True)
class RunTax:
    """A run's taxes and its after-tax result, in the report currency (``after_tax_cagr`` a fraction,
    None when it has no meaning: a run of less than a bar, or nothing left after tax)."""

    years: tuple[YearTax, ...]
    liquidation_tax: Decimal
    initial_value: Decimal
    final_value: Decimal
    after_tax_final_value: Decimal
    after_tax_cagr: Decimal | None

    @property
    def tax_paid(self) -> Decimal:
        """The tax of the run's own trades, year by year (the liquidation not included)."""
        return sum((year.tax for year in self.years), ZERO)


@dataclass(frozen=True)
class StudyTax:
    """The strategy's and buy-and-hold's taxes under one set of rules.

    ``parity`` is True when one unit of the quote was counted as one unit of a currency it is not
    (no rates given for a EUR or GBP report, or a quote that is not a USD stablecoin)."""

    setup: TaxSetup
    quote: str
    parity: bool
    strategy: RunTax
    hold: RunTax

    @property
    def rules(self) -> TaxRules:
        return self.setup.rules

    @property
    def currency(self) -> str:
        return self.rules.currency

    def label(self, year: int) -> str:
        """``2024``, or ``2024/25`` for a UK tax year."""
        return self.rules.country.year_label(year)

    def parity_warning(self) -> str | None:
        """The sentence that says the figures are not really in the currency (None when they are); a
        front end adds how to give rates."""
        if not self.parity:
            return None
        return f"{self.quote} was counted 1:1 as {self.currency}: the figures are in {self.quote}, not {self.currency}"

    def rates_used(self) -> str:
        """The tax rates and the currency conversion, in a sentence."""
        rates = self.rules.country.rates_sentence(self.rules)
        if self.setup.rates is not None:
            fx = f"{self.quote} converted with the daily rates of {self.setup.rates.source}"
        else:
            fx = f"1 {self.quote} = 1 {self.currency}"
        return f"{rates} ({self.setup.source}); {fx}"


def study_tax(study: Study, setup: TaxSetup) -> StudyTax:
    """The taxes of ``study``'s strategy and buy-and-hold under ``setup`` (see the module docstring).

    Raises ConfigError when a tax year of the run has no rules known here (UK tax years before
    2020/21) or when the rates do not reach back to a fill's day.
    """
    rules, quote = setup.rules, study.strategy.assets[-1]
    times = [_utc(moment) for moment in (study.frame.times[0], study.frame.times[-1])]
    first, last = (rules.year_of(moment) for moment in times)
    earliest = rules.country.first_tax_year
    if earliest is not None and first < earliest:
        start = rules.country.tax_year_bounds(earliest)[0]
        raise ParameterError(
            "start",
            f"{rules.country.name} tax figures start with tax year {rules.country.year_label(earliest)} "
            f"({rules.country.first_year_why}); start on or after {start.isoformat()}",
        )
    parity = setup.rates is None and quote != rules.currency
    parity = parity and not (rules.currency == "USD" and quote in USD_QUOTES)
    table = setup.rates or RateTable.identity()
    context = _Context(rules, table, tuple(range(first, last + 1)), times[0], times[1])
    prices = _last_closes(study)
    per_year = study.frame.bars_per_year
    return StudyTax(
        setup,
        quote,
        parity,
        strategy=context.run_tax(study.strategy, prices, per_year),
        hold=context.run_tax(study.hold, prices, per_year),
    )


@dataclass(frozen=True)
class _Context:
    rules: TaxRules
    rates: RateTable
    years: tuple[int, ...]
    start: datetime
    end: datetime

    def run_tax(self, run: BacktestRun, prices: Mapping[str, Decimal], bars_per_year: float) -> RunTax:
        rules, end = self.rules, self.end
        events = trade_events(run.trades, rules.currency, self.rates)
        records = normalize(events, rules.currency)
        reports = rules.reports(records, self.years)
        years = tuple(
            YearTax(year, sum((row.gain for row in report.disposals), ZERO), rules.tax_on(report))
            for year, report in sorted(reports.items())
        )
        rate = self.rates.rate_on(end.date())
        sold = [
            TaxEvent(end, WALLET, EventType.SELL, asset, amount, prices[asset] * rate)
            for asset, amount in sorted(holdings(records).items())
            if amount > 0
        ]
        liquidation = ZERO
        if sold:
            last = self.years[-1]
            after = rules.reports(normalize([*events, *sold], rules.currency), (last,))[last]
            liquidation = rules.tax_on(after) - rules.tax_on(reports[last])
        initial = _decimal(run.equity[0]) * self.rates.rate_on(self.start.date())
        final = _decimal(run.equity[-1]) * rate
        after_tax = final - sum((year.tax for year in years), ZERO) - liquidation
        span = Decimal(len(run.equity) - 1) / _decimal(bars_per_year)
        cagr = (after_tax / initial) ** (ONE / span) - ONE if span > 0 and after_tax > 0 else None
        return RunTax(years, liquidation, initial, final, after_tax, cagr)


def trade_events(
    trades: Iterable[Trade], currency: str, rates: RateTable, prices: Mapping[str, Decimal] | None = None
) -> list[TaxEvent]:
    """The backtest's fills as tax events of the wallet ``backtest`` in ``currency``; ``prices`` (in
    the quote) value a fee in a third asset, which the backtest never charges."""
    return [
        event
        for trade in trades
        for event in fill_events(
            trade.symbol,
            trade.side,
            Fill(trade.price, trade.amount, trade.fee, trade.fee_asset, trade.time),
            prices or {},
            rates=rates,
            report_currency=currency,
            wallet=WALLET,
        )
    ]


def _last_closes(study: Study) -> dict[str, Decimal]:
    frame = study.frame
    row = frame.closes[-1]
    return {a: _decimal(row[frame.assets.index(a)]) for a in study.strategy.assets[:-1]}


def _decimal(value: float | np.floating) -> Decimal:
    return Decimal(repr(float(value)))


def _utc(moment: np.datetime64) -> datetime:
    return datetime.fromtimestamp(int(moment.astype("datetime64[s]").astype(np.int64)), tz=UTC)
