"""How the command line spells the parameters that errors and warnings below it mention.

The domain and the application name a parameter in their own words (``start``, ``allow_duplicates``,
see :class:`trimtab.errors.Mention`); this table says which flag (or command) gives it here, so
that a front end added later keeps its own spelling and the domain stays free of ours.

>>> from trimtab.errors import ParameterError
>>> error_line(ParameterError("start", "needs 31 daily closes before the start; start later"))
'command line: --start: needs 31 daily closes before the start; start later'
"""

from __future__ import annotations

from trimtab.errors import Mention, TrimtabError, Wording

#: Each parameter the layers below mention, as the command line gives it.
FLAGS: dict[str, str] = {
    "allow_duplicates": "--allow-duplicates",
    "allow_future": "--allow-future",
    "calendars": "--calendars",
    "currency": "--currency",
    "dir": "--dir",
    "end": "--end",
    "fee_rates": "--fee-rates",
    "initial": "--initial",
    "intervals": "--intervals",
    "override_kill_switch": "`trimtab rebalance --override-kill-switch`",
    "period": "--start/--end",
    "rebalance_to": "--rebalance-to",
    "report": "--report",
    "start": "--start",
    "thresholds": "--thresholds",
    "weights": "--weights",
}

#: Where a value the command line passed in came from, when nothing else is named.
SOURCE = "command line"


def spell(mention: Mention) -> str:
    """``mention`` as the command line says it: its flag (and value), after ``command line:`` when
    it heads an error line."""
    flag = FLAGS.get(mention.parameter) or "--" + mention.parameter.replace("_", "-")
    text = f"{flag} {mention.value}" if mention.value else flag
    return f"{SOURCE}: {text}" if mention.leads else text


def error_line(error: TrimtabError) -> str:
    """The one line the command line prints for ``error``."""
    return error.line(spell)


def said(text: str | Wording) -> str:
    """A warning or note from below, spelled for the command line."""
    return text.spelled(spell) if isinstance(text, Wording) else text
