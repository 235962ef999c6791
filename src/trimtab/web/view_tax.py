"""The portfolio page's tax section (with a ``tax:`` config): the current tax year's realized gains and
estimated tax, the lots that turn long-term or tax-free within 30 days, and the harvest candidates
(read-only: ``trimtab tax harvest --execute`` acts on them). Not tax advice."""

from __future__ import annotations

from trimtab.app.dashboard_tax import SOON_DAYS, TaxGlance
from trimtab.model.money import fmt
from trimtab.web.html import Markup, money, tag
from trimtab.web.layout import section, table


def tax_section(glance: TaxGlance | None, error: str | None) -> Markup:
    if glance is None:
        return section(
            "Tax",
            tag("p", f"Could not compute the tax year: {error}", class_="error"),
            id="tax",
            class_="wide",
        )
    currency = glance.currency
    year_label = (
        f"{glance.year}/{(glance.year + 1) % 100:02d}" if glance.jurisdiction == "uk" else str(glance.year)
    )
    parts: list[object] = [
        tag("p", f"{glance.jurisdiction.upper()} tax year {year_label}, in {currency}.", class_="muted")
    ]
    if glance.error is not None:
        parts.append(tag("p", glance.error, class_="error", data_tax_error=""))
        return section("Tax", *parts, id="tax", class_="wide")
    parts.append(
        tag("ul", [tag("li", line) for line in glance.totals_lines], class_="totals", id="tax-totals")
    )
    if glance.estimated_tax is not None:
        parts.append(
            tag(
                "p",
                "Estimated tax of the year so far: ",
                tag(
                    "strong",
                    f"{money(glance.estimated_tax)} {currency}",
                    id="estimated-tax",
                    data_value=fmt(glance.estimated_tax),
                ),
            )
        )
    if glance.maturing_label:
        rows = [
            tag(
                "tr",
                tag("th", lot.asset, scope="row"),
                tag("td", fmt(lot.amount), class_="num"),
                tag("td", f"{money(lot.cost)} {currency}", class_="num"),
                tag("td", lot.acquired.date().isoformat()),
                tag("td", lot.matures.isoformat(), data_field="matures"),
                data_lot=lot.lot_id,
            )
            for lot in glance.maturing
        ]
        parts.append(
            table(
                "maturing-lots",
                f"Lots that turn {glance.maturing_label} within {SOON_DAYS} days",
                ["Asset", "Amount", "Cost", "Acquired", f"Turns {glance.maturing_label} on"],
                rows,
                empty=f"No lot turns {glance.maturing_label} within {SOON_DAYS} days.",
            )
        )
    if glance.harvest_error is not None:
        parts.append(tag("p", f"Harvest candidates: {glance.harvest_error}", class_="error"))
    else:
        rows = [
            tag(
                "tr",
                tag("th", c.asset, scope="row"),
                tag("td", fmt(c.units), class_="num"),
                tag("td", f"{money(c.unrealized_loss)} {currency}", class_="num"),
                tag("td", f"{money(c.saving)} {currency}", class_="num"),
                tag("td", f"{money(c.fees)} {currency}", class_="num"),
                tag("td", "yes" if c.harvest else "no", data_field="harvest"),
                tag("td", c.rule, class_="reason"),
                data_asset=c.asset,
            )
            for c in glance.candidates
        ]
        minimum = (
            f"{money(glance.harvest_min_loss)} {currency}" if glance.harvest_min_loss is not None else "—"
        )
        parts.append(
            table(
                "harvest",
                f"Harvest candidates: unrealized losses above {minimum} (read-only)",
                ["Asset", "Units", "Unrealized loss", "Tax saved", "Round-trip fees", "Worth it", "Rule"],
                rows,
                empty=f"No holding has an unrealized loss above {minimum}.",
            )
        )
    parts.append(tag("p", "Estimates from the ledger's history; not tax advice.", class_="muted"))
    return section("Tax", *parts, id="tax", class_="wide")
