"""Facts about assets that do not depend on an exchange."""

from __future__ import annotations

# Quotes worth one US dollar: a market quoted in one of them is priced in dollars (Binance's default
# steps and ticks are sized for such prices; the US tax report counts such a quote 1:1 as USD).
USD_QUOTES = frozenset({"USDT", "USDC", "FDUSD", "USD"})
