"""Keeping credentials out of everything trimtab prints, ``--debug`` tracebacks included.

Two layers, both applied by :func:`redact`:

1. the *values* of the secrets in use: every API key, secret and password trimtab reads is registered here
   (:func:`register_secret`) the moment it is read, and replaced by ``***`` wherever it appears — in an error
   message, a traceback, a library's log line;
2. *shapes* that carry credentials whatever their value: ``signature=...`` / ``apiKey=...`` query or form
   parameters (ccxt puts the whole signed URL into its timeout and HTTP-status messages) and API-key,
   signature, passphrase and ``Authorization`` headers in ``Name: value``, ``'Name': 'value'`` or JSON form
   (ccxt's verbose and debug log lines print the request headers, e.g. Binance's ``X-MBX-APIKEY``).

The CLI sends stdout and stderr through :class:`RedactingStream` (:func:`redact_standard_streams`) and
prints ``--debug`` tracebacks itself through :func:`redact`, so nothing reaches the terminal unredacted.

>>> register_secret("k3y-Value")
>>> redact("GET /api/v3/account?timestamp=1&signature=ab12 X-MBX-APIKEY: k3y-Value")
'GET /api/v3/account?timestamp=1&signature=*** X-MBX-APIKEY: ***'
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import IO, Any
from urllib.parse import quote

__all__ = ["REDACTED", "RedactingStream", "redact", "redact_standard_streams", "register_secret"]

REDACTED = "***"

#: Shorter values are not replaced as text: they would match ordinary words and numbers (a real API
#: key or secret is far longer). The shapes below still catch them in parameters and headers.
MIN_SECRET_LENGTH = 6

_registered: set[str] = set()

# ``name=value`` in a URL query or a form body; the value ends at &, whitespace, a quote or a bracket.
_SECRET_PARAM = re.compile(
    r"(?i)\b(signature|sign|api_?key|apikey|secret|passphrase|password|token|access_?token)=[^&\s\"',}\]]+"
)
# A header or mapping entry whose name ends in a credential word: ``X-MBX-APIKEY: v``, ``'apiKey': 'v'``,
# ``"OK-ACCESS-SIGN": "v"``, ``Authorization: Bearer v``. The word must end the name (``api_key_env`` is not
# one) and start it or follow a - or _ (``design`` is not one).
_SECRET_ENTRY = re.compile(
    r"(?i)(?<![a-z0-9])(api[-_]?key|apikey|access[-_]key|secret[-_]?key|private[-_]?key|signature|sign|secret"
    r"|passphrase|password|authorization|token)(?![\w-])(['\"]?\s*[:=]\s*)(['\"]?)((?:bearer|basic)\s+)?"
    r"([^'\"\s,}\]&]+)"
)
# Every pattern above names one of these (lower case).
_CREDENTIAL_WORDS = ("key", "sign", "secret", "pass", "auth", "token")
# The password of a URL: ``scheme://user:password@host``.
_URL_PASSWORD = re.compile(r"(://[^/\s:@]+:)[^/\s@]+@")


def register_secret(*values: str | None) -> None:
    """Redact these values (and their URL-encoded forms) from everything printed from now on."""
    for value in values:
        if value and len(value) >= MIN_SECRET_LENGTH:
            _registered.add(value)
            _registered.add(quote(value, safe=""))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every registered secret, every one of ``secrets`` and every credential-shaped
    parameter or header value replaced by ``***``. Line breaks and everything else are kept."""
    values = _registered.union(s for s in secrets if s)
    for secret in sorted(values, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _redact_shapes(text)
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return text


def _redact_shapes(text: str) -> str:
    """The credential-shaped parameters and headers of ``text`` redacted. The patterns are slow on long
    text (a ``--json`` report can be hundreds of megabytes), so they run only on the lines that contain a
    credential word, found with ``str.find``."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few non-ASCII letters change length when lowered: go line by line
        return "\n".join(_redact_line(line) for line in text.split("\n"))
    lines: set[tuple[int, int]] = set()
    for word in _CREDENTIAL_WORDS:
        at = lowered.find(word)
        while at != -1:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end == -1 else end
            lines.add((start, end))
            at = lowered.find(word, end)
    if not lines:
        return text
    pieces, done = [], 0
    for start, end in sorted(lines):
        pieces += [text[done:start], _redact_line(text[start:end])]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _redact_line(line: str) -> str:
    line = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", line)
    return _SECRET_ENTRY.sub(_redact_entry, line)


def _redact_entry(match: re.Match[str]) -> str:
    name, separator, opening, scheme, value = match.groups()
    if value == REDACTED:
        return match.group(0)
    return f"{name}{separator}{opening}{scheme or ''}{REDACTED}"


class RedactingStream:
    """A text stream that redacts what is written to ``target`` (the real stdout or stderr).

    Text is passed on a line at a time, so a secret split over two ``write`` calls is still found; what
    follows the last line break waits for the next write, :meth:`flush` or the end of the process.
    """

    def __init__(self, target: IO[str]) -> None:
        self._target = target
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        cut = self._pending.rfind("\n") + 1
        if cut:
            ready, self._pending = self._pending[:cut], self._pending[cut:]
            self._target.write(redact(ready))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            ready, self._pending = self._pending, ""
            self._target.write(redact(ready))
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def wrapped(self) -> IO[str]:
        return self._target

    def __getattr__(self, name: str) -> Any:
        # encoding, errors, closed, ... come from the real stream. ``buffer`` does not: bytes written
        # there would bypass redaction.
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._target, name)


def redact_standard_streams() -> None:
    """Send ``sys.stdout`` and ``sys.stderr`` through :class:`RedactingStream` for the rest of the process
    (Python flushes both at exit; an uncaught traceback is written through them too)."""
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
