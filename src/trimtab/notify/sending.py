"""Sending one message to one target through apprise, in the calling thread (the notifier calls it from
a worker thread), never raising: the answer is a :class:`Delivery`, ok or not and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trimtab.notify.messages import Message
from trimtab.notify.targets import Target, log_redacted

#: How long one message to one target may take (apprise bounds the whole call by it; its plugins'
#: own connect and read timeouts are shorter).
DEFAULT_TIMEOUT = 15.0


@dataclass(frozen=True)
class Delivery:
    """What became of one message to one target; ``detail`` says why it failed (redacted)."""

    target: Target
    ok: bool
    detail: str = ""


#: How a notifier sends: ``send(target, message, timeout)``; injectable for tests and other transports.
Send = Callable[[Target, Message, float], Delivery]


def apprise_send(target: Target, message: Message, timeout: float) -> Delivery:
    """Send ``message`` to ``target`` through apprise, waiting at most about ``timeout`` seconds."""
    import apprise

    sender = apprise.Apprise()
    if not sender.add(target.url):
        return Delivery(target, False, "apprise cannot load this URL")
    result = sender.notify(
        body=message.body,
        title=message.title,
        notify_type=message.severity.value,
        body_format="text",
        timeout=timeout,
    )
    if result:
        return Delivery(target, True)
    said = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    detail = said[-1] if said else f"apprise reports {result.status.name.lower()}"
    return Delivery(target, False, log_redacted(str(detail)))
