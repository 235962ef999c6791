"""Where notifications go: apprise URLs, each known by a label that carries no secret.

A notification URL is a credential (a Telegram bot token, a Discord webhook token, an SMTP password, an
ntfy topic anyone could post to), so it is never printed: not in an error, a log line, a JSON document or
a message. A :class:`Target` is shown by its :attr:`~Target.label` — the scheme and, when it reads as a
server's name, the host (``json://127.0.0.1``, ``mailto://smtp.example.com``; ``tgram://…``, whose host is
the bot token) — and where it came from (``notify.urls[1]``, ``TRIMTAB_NOTIFY_URLS[0]``).

apprise is imported only here and only when URLs are checked or sent (it loads ~180 plugins): loading
a config or ``trimtab --help`` never pays for it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from trimtab.config.notify_section import split_urls
from trimtab.errors import ConfigError
from trimtab.redaction import redact, register_secret

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31})://")
_HOST_NAME = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
#: Parts of a URL this long are redacted from everything trimtab prints (tokens, webhook ids, topics).
#: Shorter ones only from the log lines of apprise and its HTTP client, which rebuild the URL's path
#: (a short part is often an ordinary word, which would be redacted everywhere).
GLOBAL_SECRET_LENGTH = 16
LOCAL_SECRET_LENGTH = 4
HIDDEN = "…"


@dataclass(frozen=True)
class Target:
    """One apprise URL and how to name it without showing it."""

    url: str = field(repr=False)
    where: str  # notify.urls[0] or TRIMTAB_NOTIFY_URLS[0]
    label: str  # scheme://host, the host only when it reads as a server name

    @classmethod
    def of(cls, url: str, where: str = "") -> Target:
        """A target for ``url``, its secret parts registered for redaction (nothing is checked)."""
        _protect(url)
        return cls(url, where, label_of(url))

    def __str__(self) -> str:
        return f"{self.where} ({self.label})" if self.where else self.label


def scheme_of(url: str) -> str | None:
    found = _SCHEME.match(url)
    return found.group(1).lower() if found else None


def label_of(url: str) -> str:
    """``scheme://host`` with the host shown only when it is a server's name or address (a token, a
    webhook id or a topic in the host's place is not shown)."""
    scheme = scheme_of(url)
    if scheme is None:
        return "(not a URL)"
    host = _host(url)
    return f"{scheme}://{host if host and _reads_as_server(host) else HIDDEN}"


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _reads_as_server(host: str) -> bool:
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return True
    return bool(_HOST_NAME.match(host)) and not host.replace(".", "").isdigit()


def secret_parts(url: str) -> set[str]:
    """Every part of ``url`` that may be a credential: the whole URL, the user and password, the host when
    it is not shown, each path segment and each query value."""
    parts = {url}
    try:
        split = urlsplit(url)
        netloc = split.netloc.rpartition("@")
        userinfo, hostport = netloc[0], netloc[2]
        parts.update(unquote(p) for p in userinfo.split(":") if p)
        if not _reads_as_server(split.hostname or ""):
            parts.update(p for p in re.split(r"[:/]", hostport) if p)
        parts.update(unquote(s) for s in split.path.split("/") if s)
        parts.update(value for _, value in parse_qsl(split.query) if value)
    except ValueError:
        pass  # an unparseable URL: the whole of it is still a secret
    return {p for p in parts if len(p) >= LOCAL_SECRET_LENGTH}


# -- keeping URLs out of log lines ------------------------------------------------------------------


class _RedactingFilter(logging.Filter):
    """Redacts the parts of every known notification URL from a log record; drops records while a
    thread checks URLs (apprise logs every URL it cannot load, the URL with it)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: frozenset[str] = frozenset()
        self.quiet = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(self.quiet, "on", False):
            return False
        text = record.getMessage()
        cleaned = redact(text, self.secrets)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        return True


_FILTER = _RedactingFilter()
#: The loggers that print a notification URL or its path: apprise's own (one for every plugin) and the
#: HTTP client's connection pool (``"POST /path HTTP/1.1" 200``); trimtab's notifier too, to be sure.
_GUARDED_LOGGERS = ("apprise", "urllib3.connectionpool", "trimtab.notify")
_guard_lock = threading.Lock()


def _protect(url: str) -> None:
    parts = secret_parts(url)
    register_secret(*(p for p in parts if len(p) >= GLOBAL_SECRET_LENGTH or p == url))
    with _guard_lock:
        if not _FILTER.secrets:
            for name in _GUARDED_LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
        _FILTER.secrets = _FILTER.secrets | parts


def log_redacted(text: str) -> str:
    """``text`` with every known notification URL part (and every registered secret) redacted."""
    return redact(text, _FILTER.secrets)


@contextlib.contextmanager
def quiet_apprise() -> Iterator[None]:
    """Drop apprise's log lines in this thread while the block runs (checking URLs)."""
    _FILTER.quiet.on = True
    try:
        yield
    finally:
        _FILTER.quiet.on = False


# -- checking URLs ----------------------------------------------------------------------------------


def check_target(target: Target, source: str) -> None:
    """Raise a one-line :class:`ConfigError` naming ``target.where`` (and its scheme, never the URL) when
    apprise cannot load it."""
    import apprise
    from apprise.plugins import N_MGR  # the registry of schemes (a singleton)

    scheme = scheme_of(target.url)
    if scheme is None:
        raise ConfigError(
            source, target.where, "not a URL: expected an apprise URL such as ntfy://my-topic (not shown)"
        )
    with quiet_apprise():
        loaded = apprise.Apprise.instantiate(target.url)
    if loaded is not None:
        return
    if scheme in N_MGR:
        service = N_MGR[scheme].service_name
        problem = (
            f"{scheme}:// is {service}, but apprise cannot use this URL (a part is missing or invalid; "
            "see https://github.com/caronc/apprise/wiki for its form); the URL is not shown"
        )
    elif scheme in ("http", "https"):
        problem = (
            f"apprise does not know this {scheme}:// URL; for a plain webhook write json:// or form:// "
            f"(json{'s' if scheme == 'https' else ''}://host/path); the URL is not shown"
        )
    else:
        problem = f"unknown notification scheme {scheme}:// (apprise does not know it); the URL is not shown"
    raise ConfigError(source, target.where, problem)


def configured_targets(
    urls: tuple[str, ...], environ: Mapping[str, str], variable: str
) -> tuple[Target, ...]:
    """The config's URLs, then the environment's (repeats dropped), as unchecked targets."""
    targets: list[Target] = []
    seen: set[str] = set()
    found = [(f"notify.urls[{i}]", url) for i, url in enumerate(urls)]
    found += [(f"{variable}[{i}]", url) for i, url in enumerate(split_urls(environ.get(variable, "")))]
    for where, url in found:
        if url not in seen:
            seen.add(url)
            targets.append(Target.of(url, where))
    return tuple(targets)
