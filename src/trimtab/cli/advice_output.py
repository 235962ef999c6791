"""The tax part of ``plan`` and ``rebalance`` output: deferred sells, the lots used, the estimated tax.

``--json`` carries :func:`~trimtab.app.documents.advice_json` as ``tax``: ``jurisdiction``, ``currency``, ``year``, ``method``
(the US lot order; ``fifo`` in Germany; ``pool`` in the UK), ``estimated_tax`` (a decimal string, null
when the tax history lacks the lots the plan sells, see ``missing``), ``lots`` (one row per disposal
the plan creates: :func:`~trimtab.app.documents.disposal_json` plus ``lot_ids``), ``deferred`` (asset,
amount, until, drift, gain, reason), ``targets`` (what the plan was made for, deferred assets pinned),
``missing`` and ``note``. Not tax advice.
"""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.markup import escape

from trimtab.app.documents import method_label
from trimtab.cli.tax_output import NOT_TAX_ADVICE
from trimtab.model.money import fmt
from trimtab.tax.advisor import TaxAdvice


def _money(value: Decimal) -> str:
    return fmt(value, 2, fixed=True, thousands=True, negative_zero=True)


def print_advice(console: Console, advice: TaxAdvice) -> None:
    """A few lines under the plan: deferrals, the estimated tax and each disposal's lots."""
    currency = advice.rules.currency
    for deferral in advice.deferred:
        console.print(f"[yellow]{escape(deferral.reason(advice.rules.jurisdiction))}[/]")
    estimate = advice.estimate
    if estimate is None:
        missing = ", ".join(f"{fmt(a)} {asset}" for asset, a in sorted(advice.missing.items()))
        console.print(
            f"Estimated tax: unknown — the tax history lacks the lots of {escape(missing)}; import it with "
            "`trimtab tax import FILE.csv`"
        )
    else:
        console.print(
            f"Estimated tax of this plan ({advice.rules.jurisdiction.upper()} {estimate.year}, lots by "
            f"{method_label(advice)}): {_money(estimate.tax)} {currency}"
        )
        for row in estimate.disposals:
            kind = (
                row.term.value
                if row.term is not None
                else ("taxable" if row.taxable else "tax-free")
                if row.taxable is not None
                else (row.rule.value if row.rule is not None else "")
            )
            lots = ",".join(row.lot_ids) or "pool"
            acquired = row.acquired.isoformat() if row.acquired is not None else "pool"
            console.print(
                f"  {fmt(row.amount)} {escape(row.asset)} lot {lots} acquired {acquired}: "
                f"gain {_money(row.gain)} {currency} ({kind})"
            )
    console.print(f"[dim]{escape(advice.note)}. {NOT_TAX_ADVICE}[/]")
