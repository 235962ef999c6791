"""Binance's dust conversion on the emulator: ``POST /sapi/v1/asset/dust-btc`` (what may be converted)
and ``POST /sapi/v1/asset/dust`` (convert into BNB), signed like the other account endpoints.

An asset is eligible when it is not BNB (nor the quote of BNB's market), the account holds some of it
free, it has a market against that quote, and its value is below :data:`DUST_LIMIT_BTC` BTC (Binance's
historical 0.001 BTC). The charge is :data:`DRIBBLET` of the BNB value (Binance's 2 %).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from emulator_book import Book
from emulator_models import ApiError, Balance

DUST_LIMIT_BTC = Decimal("0.001")
DRIBBLET = Decimal("0.02")
_QUOTE = "USDT"


class Dust:
    """The two dust endpoints over one :class:`Book`; ``clock`` gives the server time in ms."""

    def __init__(self, book: Book, clock: Callable[[], int]) -> None:
        self._book = book
        self._clock = clock
        self._next_tran_id = 2970932918

    def _price(self, asset: str) -> Decimal | None:
        return self._book.prices.get(f"{asset}{_QUOTE}")

    def _eligible(self) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        """asset -> (free amount, value in BTC, value in BNB)."""
        btc, bnb = self._price("BTC"), self._price("BNB")
        found: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
        if btc is None or bnb is None:
            return found
        for asset, balance in sorted(self._book.balances.items()):
            price = self._price(asset)
            if asset in ("BNB", _QUOTE) or balance.free <= 0 or price is None:
                continue
            value = balance.free * price
            if value / btc < DUST_LIMIT_BTC:
                found[asset] = (balance.free, value / btc, value / bnb)
        return found

    def dust_btc(self, params: dict[str, str]) -> object:
        eligible = self._eligible()
        details = [
            {
                "asset": asset,
                "assetFullName": asset,
                "amountFree": str(free),
                "toBTC": str(to_btc),
                "toBNB": str(to_bnb),
                "toBNBOffExchange": str(to_bnb * (1 - DRIBBLET)),
                "exchange": str(to_bnb * DRIBBLET),
            }
            for asset, (free, to_btc, to_bnb) in eligible.items()
        ]
        return {
            "details": details,
            "totalTransferBtc": str(sum((d[1] for d in eligible.values()), Decimal(0))),
            "totalTransferBNB": str(sum((d[2] for d in eligible.values()), Decimal(0))),
            "dribbletPercentage": str(DRIBBLET),
        }

    def dust(self, params: dict[str, str]) -> object:
        wanted = [a for a in params.get("asset", "").split(",") if a]
        if not wanted:
            raise ApiError(
                400, -1102, "Mandatory parameter 'asset' was not sent, was empty/null, or malformed."
            )
        eligible = self._eligible()
        if any(a not in eligible for a in wanted):
            raise ApiError(400, 32110, "Only assets with a value below 0.001 BTC can be converted.")
        tran_id = self._next_tran_id
        self._next_tran_id += 1
        results = []
        for asset in wanted:
            free, _to_btc, to_bnb = eligible[asset]
            charge = to_bnb * DRIBBLET
            self._book.balances[asset].free -= free
            self._book.balances.setdefault("BNB", Balance(Decimal(0)))
            self._book.balances["BNB"].free += to_bnb - charge
            results.append(
                {
                    "amount": str(free),
                    "fromAsset": asset,
                    "operateTime": self._clock(),
                    "serviceChargeAmount": str(charge),
                    "tranId": tran_id,
                    "transferedAmount": str(to_bnb - charge),
                }
            )
        return {
            "totalServiceCharge": str(sum((Decimal(r["serviceChargeAmount"]) for r in results), Decimal(0))),
            "totalTransfered": str(sum((Decimal(r["transferedAmount"]) for r in results), Decimal(0))),
            "transferResult": results,
        }
