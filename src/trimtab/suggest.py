"""Did-you-mean for names the user typed: asset symbols (config keys have their own, in config/load.py)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``" (did you mean 'ETH'?)"`` naming the known name closest to ``name`` (case ignored), or ``""``.

    >>> did_you_mean("EHT", ["BTC", "ETH", "SOL"]), did_you_mean("XYZ", ["BTC"])
    (" (did you mean 'ETH'?)", '')
    """
    by_upper = {str(k).upper(): str(k) for k in known if str(k).upper() != name.upper()}
    close = difflib.get_close_matches(name.upper(), list(by_upper), n=1, cutoff=0.6)
    return f" (did you mean {by_upper[close[0]]!r}?)" if close else ""
