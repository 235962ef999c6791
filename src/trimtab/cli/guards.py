"""``trimtab guards [--resume ASSET]``: the assets the crash guard holds back, and resuming one.

An asset that fell more than ``guards.crash_percent`` in 24 hours is not bought until the owner resumes
it (:mod:`trimtab.app.guards`); the holds live in the ledger (:mod:`trimtab.app.guard_holds`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from trimtab.cli.support import DEFAULT_CONFIG, ConfigOption, DebugOption, JsonOption, emit_json, guarded, out


def guards(
    resume: Annotated[
        str | None,
        typer.Option("--resume", metavar="ASSET", help="Buy this crash-held asset again from the next run."),
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """List the assets the crash guard holds back (not bought since they fell more than
    guards.crash_percent in 24 hours), or resume one."""
    from trimtab.app.guard_holds import hold_report, read_guard_holds, resume_guard_hold
    from trimtab.clock import utc_now
    from trimtab.config import load_config

    def action() -> None:
        loaded = load_config(config)
        if resume is not None:
            ended = resume_guard_hold(loaded, config, resume, utc_now())
            if as_json:
                emit_json({"resumed": [hold_report(h) for h in ended]})
            else:
                out.print(f"{ended[0].asset} resumed: the next run may buy it again.")
            return
        holds = read_guard_holds(loaded, config)
        if as_json:
            emit_json({"holds": [hold_report(h) for h in holds]})
        elif not holds:
            out.print("No asset is held back by the crash guard.")
        else:
            for hold in holds:
                out.print(f"{hold.asset}: held back since {hold.since:%Y-%m-%d %H:%M} UTC ({hold.reason})")
            out.print("Resume one with `trimtab guards --resume ASSET`.")

    guarded(debug, action)
