"""The notifier of one portfolio: turns the run loop's events into messages and sends them in the
background, so that notifying can never hold up or break a run.

- Every target has a daemon thread of its own that delivers its messages one after the other, in the
  order they were reported (the owner reads them in the order things happened), each bounded by a
  timeout. Daemon threads, not ``asyncio.to_thread``: ``asyncio.run`` joins the default executor's threads at exit without a
  bound (Python 3.11), so one hung mail server would keep a stopped bot from exiting.
- A failed or timed-out delivery is logged (``trimtab.notify``, the target named by its label, never its
  URL) and counted in :attr:`Notifier.stats`; nothing is ever raised to the caller.
- Repeated "nothing to do" checks are collapsed: at most one such message per :data:`SKIP_INTERVAL`
  (on the injectable ``clock``); the next one says how many were not sent. So are the retries of one
  exchange outage (temporary failures, retried with backoff): its first failure goes out, the retries
  failing again within the hour are counted in the next one. Other failures, kill switches and guards
  always go out (if their event is chosen in ``notify.events``).

>>> notifier = Notifier("main", ["ntfy://my-topic"])  # doctest: +SKIP
>>> scheduler.run(lambda event: (show(event), notifier.report(event)))  # doctest: +SKIP
>>> await notifier.aclose()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from trimtab.app.outcomes import RunOutcome
from trimtab.app.portfolio_home import portfolio_name
from trimtab.app.scheduler import CheckDone, LoopEvent
from trimtab.clock import Clock, utc_now
from trimtab.config.models import Config
from trimtab.config.notify_section import DEFAULT_EVENTS, URLS_VARIABLE, NotifyEvent
from trimtab.errors import Failure, GuardTripped, KillSwitchTripped, Mention, TrimtabError, failure_of
from trimtab.ledger.records import RunStatus
from trimtab.notify import messages
from trimtab.notify.messages import Message
from trimtab.notify.sending import DEFAULT_TIMEOUT, Delivery, Send, apprise_send
from trimtab.notify.targets import Target, check_target, configured_targets, log_redacted

log = logging.getLogger("trimtab.notify")

#: At most one "nothing to do" message per portfolio in this much (clock) time.
SKIP_INTERVAL = timedelta(hours=1)
#: How much longer than the send timeout a delivery is waited for before it is given up (apprise
#: bounds itself by the timeout; this catches a sender that does not), and :meth:`Notifier.aclose`
#: waits by default, a little longer still, so that every delivery has ended by then.
GRACE = 1.0
CLOSE_GRACE = 2.0


@dataclass(frozen=True)
class NotifyStats:
    """Deliveries so far (one message to one target each), and the skips collapsed unsent."""

    sent: int = 0
    failed: int = 0
    collapsed: int = 0


@dataclass
class _Collapsing:
    """One kind of message sent at most once per :data:`SKIP_INTERVAL`: when the last went out, and the
    ones held back since (how many, and when the first was)."""

    last: datetime | None = None
    unsent: int = 0
    first_unsent: datetime | None = None

    def let_through(self, now: datetime) -> tuple[int, datetime | None] | None:
        """None when a message at ``now`` is held back (counted); else it goes out, and this returns how
        many were held back before it and since when."""
        if self.last is not None and now - self.last < SKIP_INTERVAL:
            self.unsent += 1
            self.first_unsent = self.first_unsent or now
            return None
        held = self.unsent, self.first_unsent
        self.clear()
        self.last = now
        return held

    def clear(self) -> None:
        """Forget the last message: the next one goes out."""
        self.last, self.unsent, self.first_unsent = None, 0, None


class Notifier:
    """Sends ``portfolio``'s events to ``urls`` (apprise URLs or :class:`Target`), for the chosen ``events``.

    ``send`` replaces apprise (tests, other transports); ``clock`` times the collapsing of skips
    (default: the system's UTC time). Methods are called from the event loop's thread or any other;
    none blocks for the network and none raises.
    """

    def __init__(
        self,
        portfolio: str,
        urls: Sequence[str | Target],
        events: Iterable[NotifyEvent | str] = DEFAULT_EVENTS,
        send: Send | None = None,
        clock: Clock | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        spell: Callable[[Mention], str] = str,
    ) -> None:
        self.portfolio = portfolio
        self._spell = spell  # how the front end driving the bot names a parameter an error mentions
        self.targets = tuple(
            u if isinstance(u, Target) else Target.of(u, f"urls[{i}]") for i, u in enumerate(urls)
        )
        self.events = frozenset(NotifyEvent(e) for e in events)
        self._send = send or apprise_send
        self._clock = clock or utc_now
        self._timeout = timeout
        self._lock = threading.Lock()
        self._pending: set[Future[Delivery]] = set()
        self._queues: dict[Target, queue.SimpleQueue[tuple[Message, Future[Delivery], bool]]] = {}
        self._sent = self._failed = self._collapsed = 0
        self._skips = _Collapsing()  # "nothing to do" checks
        self._outage = _Collapsing()  # temporary failures of one exchange outage
        self._frozen_sent: frozenset[str] = frozenset()  # the assets frozen in the last run reported
        self._closed = False

    # -- what the run loop reports ---------------------------------------------------------------------

    def report(self, event: LoopEvent) -> None:
        """One event of the run loop: a finished check (rebalanced, nothing to do, failed) is sent if its
        event is chosen; waits between checks are not."""
        try:
            if not isinstance(event, CheckDone):
                return
            if event.outcome is not None:
                with self._lock:  # the outage (if any) is over: its next failure goes out again
                    self._outage.clear()
                self._outcome(event.outcome)
            elif event.error is not None:
                self.failure(event.error)
        except Exception as error:  # a notifier must never break the loop that reports to it
            log.warning("notification for %s not sent: %s", self.portfolio, log_redacted(repr(error)))

    def failure(self, error: BaseException | str) -> None:
        """A run that failed: sent as ``kill_switch``, ``guard`` or ``failed`` by the error's kind."""
        if isinstance(error, KillSwitchTripped):
            self.kill_switch(error)
        elif isinstance(error, GuardTripped):
            self.guard(error)
        elif isinstance(error, BaseException) and failure_of(error) is Failure.TEMPORARY:
            self._temporary(error)
        else:
            self._emit(messages.failed(self.portfolio, _text(error, self._spell)))

    def _temporary(self, error: BaseException) -> None:
        """Exchange trouble, retried with backoff: the first failure of an outage goes out, the retries
        that fail again within :data:`SKIP_INTERVAL` of it are collapsed (the next one sent counts them)."""
        held = self._collapse(self._outage)
        if held is None:
            return
        unsent, _ = held
        text = _text(error, self._spell)
        if unsent:
            text += f" ({unsent} more failed retries not sent)"
        self._emit(messages.failed(self.portfolio, text))

    def kill_switch(self, error: BaseException | str) -> None:
        """The kill switch tripped (or refused a run): the bot stopped trading this portfolio."""
        self._emit(messages.kill_switch(self.portfolio, _text(error, self._spell)))

    def guard(self, error: BaseException | str) -> None:
        """A safety guard stopped a run: a price moved too far, the account disagrees with the ledger."""
        self._emit(messages.guard(self.portfolio, _text(error, self._spell)))

    def _outcome(self, outcome: RunOutcome) -> None:
        self._frozen(outcome.planned.portfolio.snapshot.frozen)
        if outcome.status is not RunStatus.SKIPPED:
            self._emit(messages.rebalanced(self.portfolio, outcome))
            return
        if NotifyEvent.SKIPPED not in self.events:
            return
        held = self._collapse(self._skips)
        if held is not None:
            self._emit(messages.skipped(self.portfolio, outcome, *held))

    def _collapse(self, kind: _Collapsing) -> tuple[int, datetime | None] | None:
        """``kind``'s message now: None when it is held back (and counted in :attr:`stats`), else how
        many were held back before it and since when (see :meth:`_Collapsing.let_through`)."""
        now = self._clock()
        with self._lock:
            held = kind.let_through(now)
            self._collapsed += held is None
        return held

    def _frozen(self, reasons: Mapping[str, str]) -> None:
        """Assets a guard froze in a run: sent when an asset is newly frozen, not again while it stays so."""
        with self._lock:
            new = {a: r for a, r in reasons.items() if a not in self._frozen_sent}
            self._frozen_sent = frozenset(reasons)
        if new:
            self._emit(messages.frozen(self.portfolio, new))

    # -- sending ---------------------------------------------------------------------------------------

    def notify(self, message: Message, *, quiet: bool = False) -> list[Future[Delivery]]:
        """Send ``message`` to every target in the background (whatever its event); returns the
        deliveries' futures, each done within the timeout plus :data:`GRACE`. A failed delivery is
        logged as a warning unless ``quiet`` (the caller reports it)."""
        if self._closed:
            log.info("notifier of %s closed; %r not sent", self.portfolio, message.title)
            return []
        futures: list[Future[Delivery]] = []
        for target in self.targets:
            future: Future[Delivery] = Future()
            future.set_running_or_notify_cancel()  # no cancelling it: a delivery always ends by itself
            with self._lock:
                self._pending.add(future)
            future.add_done_callback(self._settled)
            self._queue_of(target).put((message, future, quiet))
            futures.append(future)
        return futures

    def _queue_of(self, target: Target) -> queue.SimpleQueue[tuple[Message, Future[Delivery], bool]]:
        """``target``'s queue of messages, and the daemon thread delivering them in order (both made on
        first use)."""
        with self._lock:
            waiting = self._queues.get(target)
            if waiting is None:
                waiting = self._queues[target] = queue.SimpleQueue()
                threading.Thread(
                    target=self._deliver_in_order, args=(target, waiting), name="trimtab-notify", daemon=True
                ).start()
            return waiting

    def _deliver_in_order(
        self, target: Target, waiting: queue.SimpleQueue[tuple[Message, Future[Delivery], bool]]
    ) -> None:
        while True:
            message, future, quiet = waiting.get()
            self._deliver(target, message, future, quiet)

    def _emit(self, message: Message) -> None:
        if message.event in self.events:
            self.notify(message)

    def _settled(self, future: Future[Delivery]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _deliver(self, target: Target, message: Message, future: Future[Delivery], quiet: bool) -> None:
        # The send runs in a thread of its own, so that this one can give up on it after the timeout.
        answers: list[Delivery] = []
        sender = threading.Thread(
            target=lambda: answers.append(self._attempt(target, message)), name="trimtab-notify", daemon=True
        )
        sender.start()
        sender.join(self._timeout + GRACE)
        delivery = answers[0] if answers else Delivery(target, False, f"no answer in {self._timeout:g} s")
        with self._lock:
            if delivery.ok:
                self._sent += 1
            else:
                self._failed += 1
        if delivery.ok or quiet:
            log.info(
                "notification %r %s %s", message.title, "sent to" if delivery.ok else "not sent to", target
            )
        else:
            log.warning("notification %r not sent to %s: %s", message.title, target, delivery.detail)
        future.set_result(delivery)

    def _attempt(self, target: Target, message: Message) -> Delivery:
        try:
            return self._send(target, message, self._timeout)
        except Exception as error:  # a plugin's bug or an injected sender's failure: counted, not raised
            return Delivery(target, False, log_redacted(f"{type(error).__name__}: {error}"))

    async def test(self) -> tuple[Delivery, ...]:
        """Send one test message to every target and wait for the answers (``trimtab notify-test``)."""
        futures = self.notify(messages.trial(self.portfolio, utc_now()), quiet=True)
        return tuple([await asyncio.wrap_future(f) for f in futures])

    @property
    def stats(self) -> NotifyStats:
        with self._lock:
            return NotifyStats(self._sent, self._failed, self._collapsed)

    async def aclose(self, timeout: float | None = None) -> None:
        """Stop taking messages and wait for those still being sent, at most ``timeout`` seconds (default:
        the send timeout plus :data:`CLOSE_GRACE`, a little longer than any delivery lasts)."""
        self._closed = True
        with self._lock:
            pending = list(self._pending)
        if not pending:
            return
        waits = [asyncio.wrap_future(f) for f in pending]
        _, late = await asyncio.wait(
            waits, timeout=self._timeout + CLOSE_GRACE if timeout is None else timeout
        )
        for wait in late:
            wait.cancel()
        if late:
            log.warning(
                "%s: %d notifications still being sent at exit were given up", self.portfolio, len(late)
            )


def _text(error: BaseException | str, spell: Callable[[Mention], str] = str) -> str:
    if isinstance(error, TrimtabError):
        return error.line(spell)
    if isinstance(error, BaseException):
        return f"unexpected {type(error).__name__}: {error}"
    return error


def notifier_for(
    config: Config,
    config_path: Path,
    environ: Mapping[str, str],
    spell: Callable[[Mention], str] = str,
) -> Notifier | None:
    """The notifier ``config`` asks for (``notify.urls`` and ``TRIMTAB_NOTIFY_URLS`` in ``environ``), or
    None when no URL is given. Each URL is checked with apprise first: one it cannot use is a
    :class:`~trimtab.errors.ConfigError` naming where it came from and its scheme, never the URL."""
    source = str(config_path)
    targets = configured_targets(config.notify.urls, environ, URLS_VARIABLE)
    if not targets:
        return None
    for target in targets:
        check_target(target, "environment" if target.where.startswith(URLS_VARIABLE) else source)
    return Notifier(portfolio_name(config, config_path), targets, config.notify.events, spell=spell)
