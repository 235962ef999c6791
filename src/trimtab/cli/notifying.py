"""Notifications on the command line: ``rebalance`` telling the owner what it did (a cron-driven
rebalance notifies like ``run`` does), and ``trimtab notify-test``.

The notifier itself (:mod:`trimtab.notify`, apprise behind it) is imported only by the commands that use
it and only when a URL is configured: ``trimtab --help`` never loads apprise.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from trimtab.cli.support import DEFAULT_CONFIG, ConfigOption, DebugOption, JsonOption, emit_json, guarded, out
from trimtab.errors import ConfigError, Mention

if TYPE_CHECKING:
    from trimtab.app.outcomes import RunOutcome
    from trimtab.config import Config
    from trimtab.notify import Notifier


def notifier_of(
    config: Config, config_path: Path, spell: Callable[[Mention], str] | None = None
) -> Notifier | None:
    """The config's notifier (its URLs checked by apprise), or None when none is configured. ``spell``
    names a parameter an error mentions (default: the command line's flags; ``serve`` says its API's)."""
    from trimtab.cli.flag_hints import spell as flag_spelling
    from trimtab.config.notify_section import URLS_VARIABLE

    if not config.notify.urls and not os.environ.get(URLS_VARIABLE, "").strip():
        return None  # nothing to send: apprise is not even imported
    from trimtab.notify import notifier_for

    return notifier_for(config, config_path, os.environ, spell or flag_spelling)


async def notified(run: Awaitable[RunOutcome], notifier: Notifier | None) -> RunOutcome:
    """``run``'s outcome, sent through ``notifier`` (a failure too, before it is raised); the notifier is
    closed after, its message waited for a bounded time. A failed notification is logged, never raised."""
    if notifier is None:
        return await run
    from trimtab.app.scheduler import CheckDone

    try:
        outcome = await run
    except Exception as error:
        notifier.failure(error)
        raise
    else:
        notifier.report(CheckDone(outcome))
        return outcome
    finally:
        await notifier.aclose()


def notify_test(
    config: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False, debug: DebugOption = False
) -> None:
    """Send one test message to every notification URL (notify.urls and TRIMTAB_NOTIFY_URLS).

    Exit 0 when every one was delivered, 1 when one failed, 2 when none is configured."""
    import asyncio

    from trimtab.config import load_config

    def action() -> None:
        loaded = load_config(config)
        notifier = notifier_of(loaded, config)
        if notifier is None:
            raise ConfigError(
                str(config),
                "notify.urls",
                "no notification URL is configured; add notify: {urls: [...]} to the config or set "
                "TRIMTAB_NOTIFY_URLS (apprise URLs such as ntfy://my-topic, see the README's Notifications)",
            )

        async def send() -> tuple[bool, list[dict[str, object]]]:
            try:
                deliveries = await notifier.test()
            finally:
                await notifier.aclose()
            rows: list[dict[str, object]] = [
                {"where": d.target.where, "target": d.target.label, "ok": d.ok, "error": d.detail or None}
                for d in deliveries
            ]
            return all(d.ok for d in deliveries), rows

        all_ok, rows = asyncio.run(send())
        if as_json:
            emit_json({"portfolio": notifier.portfolio, "ok": all_ok, "targets": rows})
        else:
            for row in rows:
                verdict = "[green]ok[/]" if row["ok"] else f"[red]failed[/]: {_plain(row['error'])}"
                out.print(f"{row['where']} {row['target']}: {verdict}", soft_wrap=True)
        if not all_ok:
            failed = sum(1 for row in rows if not row["ok"])
            from trimtab.cli.support import fail

            fail(f"{failed} of {len(rows)} notification targets failed (see above)", 1)

    guarded(debug, action)


def _plain(text: object) -> str:
    from rich.markup import escape

    return escape(str(text))
