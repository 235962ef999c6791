"""Telling a portfolio's owner what the bot did: messages composed from the run loop's events, sent
through apprise (Telegram, e-mail, Discord, Slack, ntfy, webhooks ...).

:func:`notifier_for` builds a portfolio's :class:`Notifier` from its config (None when no URL is
configured); front ends pass it every :data:`~trimtab.app.scheduler.LoopEvent` (``report``), a tripped
kill switch (``kill_switch``) or guard (``guard``), and close it at exit (``aclose``).
"""

from trimtab.notify.notifier import Notifier, NotifyStats, notifier_for
from trimtab.notify.sending import Delivery

__all__ = ["Delivery", "Notifier", "NotifyStats", "notifier_for"]
