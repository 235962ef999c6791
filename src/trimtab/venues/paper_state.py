"""The paper venue's persisted state: balances, orders and the next exchange order id, as JSON.

The file is written atomically (a temp file in the same folder, fsync, ``os.replace``), so a crash
leaves either the old or the new state, never half of one. Amounts are decimal strings, so they
round-trip exactly::

    {"version": 1,
     "balances": {"USDT": "9384.1", "BTC": "0.01232766"},
     "next_order_id": 2,
     "orders": {"rebal-1": {"exchange_order_id": "1", "symbol": "BTC/USDT", "side": "buy", ...,
                            "fills": [{"price": "49900", "amount": "0.01234", "fee": "0.00001234",
                                       "fee_asset": "BTC", "timestamp": "2024-01-01T00:00:00+00:00"}]}}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from trimtab.errors import ConfigError, FatalVenueError
from trimtab.files import write_atomically
from trimtab.model.money import fmt
from trimtab.model.orders import Fill, OrderResult, OrderStatus, Side

FORMAT_VERSION = 1
STATE_FILE_NAME = "paper-venue.json"


@dataclass(frozen=True)
class PaperState:
    """Everything the paper venue remembers between runs. Updates make a new state (see ``with_order``)."""

    balances: Mapping[str, Decimal]
    orders: Mapping[str, OrderResult] = field(default_factory=dict)
    next_order_id: int = 1

    @classmethod
    def initial(cls, balances: Mapping[str, Decimal]) -> PaperState:
        """A fresh account holding ``balances`` and no orders."""
        return cls(balances=MappingProxyType(dict(balances)))

    def with_order(self, order: OrderResult, deltas: Mapping[str, Decimal]) -> PaperState:
        """The state after recording ``order`` (stored by client order id) and adding ``deltas`` to balances."""
        balances = dict(self.balances)
        for asset, delta in deltas.items():
            balances[asset] = balances.get(asset, Decimal(0)) + delta
        orders = {**self.orders, order.client_order_id: order}
        return PaperState(MappingProxyType(balances), MappingProxyType(orders), self.next_order_id + 1)

    def with_transfer(self, asset: str, amount: Decimal) -> PaperState:
        """The state after ``amount`` of ``asset`` left the account (a simulated withdrawal: no order)."""
        balances = dict(self.balances)
        balances[asset] = balances.get(asset, Decimal(0)) - amount
        return PaperState(MappingProxyType(balances), self.orders, self.next_order_id)


class _CorruptStateError(ValueError):
    """The file parses but does not have the expected shape."""


def load_state(path: Path) -> PaperState | None:
    """Read the state saved at ``path``; None when there is no file yet.

    Raises ConfigError (one line, naming the file and how to reset it) when the file cannot be
    read or is not a valid state.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), "", f"cannot read the paper venue state ({_reason(error)})") from None
    try:
        return _decode(json.loads(text))
    except json.JSONDecodeError as error:
        raise _config_error(path, f"it is not valid JSON ({error.msg} at line {error.lineno})") from None
    except _CorruptStateError as error:
        raise _config_error(path, f"it is corrupt ({error})") from None


def save_state(path: Path, state: PaperState) -> None:
    """Write ``state`` to ``path`` atomically, creating the folder if needed.

    Raises FatalVenueError when the file cannot be written (a full disk is the venue failing, not bad
    input: the order it was saving is not placed); the previous file, if any, is left as it was.
    """
    text = json.dumps(_encode(state), indent=1, sort_keys=True) + "\n"
    try:
        write_atomically(path, text)
    except OSError as error:
        raise FatalVenueError(
            f"{path}: cannot write the paper venue state ({_reason(error)}); the order was not placed"
        ) from None


def reset_state(path: Path) -> bool:
    """Delete the state at ``path`` so the next paper venue starts from its configured balances.

    Returns True when there was a file to delete.
    """
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def archive_state(path: Path, suffix: str) -> Path | None:
    """Rename the state at ``path`` to ``path`` + ``suffix`` (never over an existing file), so the next
    paper venue starts from its configured balances while the old account stays on disk.

    Returns where it went, or None when there was no file. Raises ConfigError if it cannot be renamed.
    """
    if not path.exists():
        return None
    target = free_name(path, suffix)
    try:
        path.rename(target)
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot archive the paper venue state ({_reason(error)})") from None
    return target


def free_name(path: Path, suffix: str) -> Path:
    """``path`` + ``suffix``, or with ``-2``, ``-3``... added if that name is taken."""
    target, number = path.with_name(path.name + suffix), 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}{suffix}-{number}")
    return target


def _config_error(path: Path, problem: str) -> ConfigError:
    return ConfigError(
        str(path),
        "",
        f"paper venue state: {problem}; restore it from a backup, or start the account and the ledger over "
        "with `trimtab reset`",
    )


def _reason(error: Exception) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)


# --- encoding -------------------------------------------------------------------------------------------------


def _encode(state: PaperState) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "balances": {asset: fmt(amount) for asset, amount in state.balances.items()},
        "next_order_id": state.next_order_id,
        "orders": {cid: _encode_order(order) for cid, order in state.orders.items()},
    }


def _encode_order(order: OrderResult) -> dict[str, Any]:
    return {
        "exchange_order_id": order.exchange_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "amount": fmt(order.amount),
        "limit_price": fmt(order.limit_price),
        "status": order.status.value,
        "filled": fmt(order.filled),
        "fills": [
            {
                "price": fmt(f.price),
                "amount": fmt(f.amount),
                "fee": fmt(f.fee),
                "fee_asset": f.fee_asset,
                "timestamp": f.timestamp.isoformat(),
            }
            for f in order.fills
        ],
    }


# --- decoding: every check names what is wrong, so the one-line error says where to look ---------------------


def _decode(data: object) -> PaperState:
    root = _object(data, "the top level")
    version = root.get("version")
    if version != FORMAT_VERSION:
        raise _CorruptStateError(f"unsupported version {version!r}, expected {FORMAT_VERSION}")
    balances = {
        _text(asset, "a balance's asset"): _decimal(value, f"balances.{asset}")
        for asset, value in _object(root.get("balances"), "balances").items()
    }
    next_order_id = root.get("next_order_id")
    if not isinstance(next_order_id, int) or isinstance(next_order_id, bool) or next_order_id < 1:
        raise _CorruptStateError(f"next_order_id must be a positive integer, got {next_order_id!r}")
    orders = {
        cid: _decode_order(cid, _object(value, f"orders.{cid}"))
        for cid, value in _object(root.get("orders"), "orders").items()
    }
    return PaperState(MappingProxyType(balances), MappingProxyType(orders), next_order_id)


def _decode_order(cid: str, data: Mapping[str, object]) -> OrderResult:
    where = f"orders.{cid}"
    fills = data.get("fills")
    if not isinstance(fills, list):
        raise _CorruptStateError(f"{where}.fills must be a list")
    try:
        side = Side(_text(data.get("side"), f"{where}.side"))
        status = OrderStatus(_text(data.get("status"), f"{where}.status"))
    except ValueError as error:
        raise _CorruptStateError(f"{where}: {error}") from None
    return OrderResult(
        client_order_id=cid,
        exchange_order_id=_text(data.get("exchange_order_id"), f"{where}.exchange_order_id"),
        symbol=_text(data.get("symbol"), f"{where}.symbol"),
        side=side,
        amount=_decimal(data.get("amount"), f"{where}.amount"),
        limit_price=_decimal(data.get("limit_price"), f"{where}.limit_price"),
        status=status,
        filled=_decimal(data.get("filled"), f"{where}.filled"),
        fills=tuple(
            _decode_fill(_object(f, f"{where}.fills[{i}]"), f"{where}.fills[{i}]")
            for i, f in enumerate(fills)
        ),
    )


def _decode_fill(data: Mapping[str, object], where: str) -> Fill:
    stamp = _text(data.get("timestamp"), f"{where}.timestamp")
    try:
        timestamp = datetime.fromisoformat(stamp)
    except ValueError:
        raise _CorruptStateError(f"{where}.timestamp must be an ISO date and time, got {stamp!r}") from None
    return Fill(
        price=_decimal(data.get("price"), f"{where}.price"),
        amount=_decimal(data.get("amount"), f"{where}.amount"),
        fee=_decimal(data.get("fee"), f"{where}.fee"),
        fee_asset=_text(data.get("fee_asset"), f"{where}.fee_asset"),
        timestamp=timestamp,
    )


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _CorruptStateError(f"{where} must be a JSON object")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _CorruptStateError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _decimal(value: object, where: str) -> Decimal:
    # Decimal strings only: a JSON number would have gone through float and may not be exact.
    if not isinstance(value, str):
        raise _CorruptStateError(f"{where} must be a decimal string, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _CorruptStateError(f"{where} must be a decimal string, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise _CorruptStateError(f"{where} must be a finite non-negative number, got {value!r}")
    return number
