"""The Binance emulator's fault catalogue: which faults exist, how a pending fault matches and is consumed,
and the canned answers of the faults that replace a response. The stalls and dropped connections themselves
happen in the server (:mod:`binance_emulator`)."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from aiohttp import web
from emulator_models import json_response

#: Every fault :meth:`BinanceEmulator.add_fault` accepts.
FAULT_KINDS = frozenset(
    {
        "http429",
        "http418",
        "http500",
        "http503",
        "unknown-status",
        "maintenance",
        "bad-json",
        "timeout",
        "disconnect",
        "blackhole",
        "execute-then-timeout",
        "execute-then-500",
        "execute-then-disconnect",
        "error",
    }
)

#: How long ``timeout`` / ``execute-then-timeout`` stall by default: longer than :func:`make_binance`'s 2 s.
DEFAULT_STALL_SECONDS = 5.0

_HTML_500 = "<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1></body></html>"


@dataclass
class EmuFault:
    """A pending fault; ``times`` counts down as matching requests consume it."""

    kind: str
    path: str
    method: str
    times: int
    arg: object
    where: Mapping[str, str] | None = None  # only requests whose params include these (e.g. {"side": "BUY"})

    @property
    def stall_seconds(self) -> float:
        return DEFAULT_STALL_SECONDS if self.arg is None else float(self.arg)  # type: ignore[arg-type]

    def matches(self, method: str, path: str, params: Mapping[str, str]) -> bool:
        if self.where is not None and any(params.get(k) != v for k, v in self.where.items()):
            return False
        return (self.method == "*" or self.method.upper() == method) and fnmatch.fnmatchcase(path, self.path)


def new_fault(
    kind: str, path: str, method: str, times: int, arg: object, where: Mapping[str, str] | None
) -> EmuFault:
    """A checked :class:`EmuFault` (see :meth:`BinanceEmulator.add_fault` for the arguments)."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
    if times < 1:
        raise ValueError("times must be >= 1")
    if kind == "error" and not (isinstance(arg, tuple) and len(arg) == 3):
        raise ValueError("the 'error' fault needs arg=(http_status, code, msg)")
    return EmuFault(kind, path, method, times, arg, where)


def take_fault(faults: list[EmuFault], method: str, path: str, params: Mapping[str, str]) -> EmuFault | None:
    """The first pending fault matching the request, counted down (and removed from ``faults`` when spent)."""
    for fault in faults:
        if fault.matches(method, path, params):
            fault.times -= 1
            if fault.times == 0:
                faults.remove(fault)
            return fault
    return None


def fault_response(fault: EmuFault) -> web.Response:
    """The canned answer of a fault that replaces the response (everything but stalls and drops)."""
    kind = fault.kind
    if kind == "http429":
        msg = "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute."
        return json_response({"code": -1003, "msg": msg}, 429, {"Retry-After": str(fault.arg or 1)})
    if kind == "http418":
        msg = "Way too many requests; IP(127.0.0.1) banned. Please use WebSocket Streams for live updates."
        return json_response({"code": -1003, "msg": msg}, 418, {"Retry-After": str(fault.arg or 60)})
    if kind == "http500":
        return web.Response(text=_HTML_500, status=500, content_type="text/html")
    if kind == "http503":
        msg = "Internal error; unable to process your request. Please try again."
        return json_response({"code": -1001, "msg": msg}, 503)
    if kind == "unknown-status":
        msg = (
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
        )
        return json_response({"code": -1007, "msg": msg}, 408)
    if kind == "maintenance":
        return json_response({"code": 1, "msg": "System is under maintenance."})
    if kind == "bad-json":
        # A body cut short by a proxy: looks like JSON, does not parse.
        return web.Response(text='{"balances": [{"asset": "US', content_type="application/json")
    if kind == "error":
        status, code, msg = cast("tuple[int, int, str]", fault.arg)
        return json_response({"code": code, "msg": msg}, int(status))
    raise AssertionError(f"no canned response for {kind}")
