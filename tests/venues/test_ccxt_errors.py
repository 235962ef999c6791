"""venue_error: every ccxt 4.5 exception lands in the right branch of trimtab's error tree."""

from __future__ import annotations

import json
from typing import Any

import ccxt.async_support as ccxt
import pytest

from trimtab.errors import (
    FatalVenueError,
    InsufficientFunds,
    OrderRejected,
    TemporaryVenueError,
    VenueError,
)
from trimtab.venues.ccxt_errors import MAX_MESSAGE_LENGTH, scrub, venue_error

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
SIGNED_URL = (
    f"https://api.binance.com/api/v3/account?timestamp=1700000000000&recvWindow=10000&signature={'ab' * 32}"
)
NOW = 1_700_000_000.0


def binance_raises(status: int, body: str, url: str = SIGNED_URL, reason: str = "") -> Exception:
    """The exception real ccxt binance raises for this HTTP answer (its handle_errors, then httpExceptions)."""
    exchange = ccxt.binance({"apiKey": KEY, "secret": SECRET})
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    try:
        exchange.handle_errors(status, reason, url, "GET", {}, body, parsed, {}, None)
        exchange.handle_http_status_code(status, reason, url, "GET", body)
    except ccxt.BaseError as error:
        return error
    raise AssertionError("ccxt raised nothing")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ccxt.NetworkError("x"), TemporaryVenueError),
        (ccxt.RequestTimeout("x"), TemporaryVenueError),
        (ccxt.ExchangeNotAvailable("x"), TemporaryVenueError),
        (ccxt.OnMaintenance("x"), TemporaryVenueError),
        (ccxt.DDoSProtection("x"), TemporaryVenueError),
        (ccxt.RateLimitExceeded("x"), TemporaryVenueError),
        (ccxt.InvalidNonce("x"), TemporaryVenueError),
        (ccxt.OperationFailed("x"), TemporaryVenueError),
        (ccxt.BadResponse("x"), TemporaryVenueError),
        (ccxt.NullResponse("x"), TemporaryVenueError),
        (ccxt.InvalidOrder("x"), OrderRejected),
        (ccxt.OrderNotFound("x"), OrderRejected),
        (ccxt.DuplicateOrderId("x"), OrderRejected),
        (ccxt.BadRequest("x"), OrderRejected),
        (ccxt.BadSymbol("x"), OrderRejected),
        (ccxt.MarketClosed("x"), OrderRejected),
        (ccxt.InsufficientFunds("x"), InsufficientFunds),
        (ccxt.AuthenticationError("x"), FatalVenueError),
        (ccxt.PermissionDenied("x"), FatalVenueError),
        (ccxt.AccountSuspended("x"), FatalVenueError),
        (ccxt.AccountNotEnabled("x"), FatalVenueError),
        (ccxt.NotSupported("x"), FatalVenueError),
        (ccxt.ArgumentsRequired("x"), FatalVenueError),
        (ccxt.RestrictedLocation("x"), FatalVenueError),
        (ccxt.BaseError("x"), FatalVenueError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else v.__name__,
)
def test_each_ccxt_class_maps_to_what_the_bot_should_do(error: Exception, expected: type[VenueError]) -> None:
    converted = venue_error(error)
    assert type(converted) is expected


def test_an_unclassified_exchange_error_rejects_the_request_without_stopping_the_bot() -> None:
    error = binance_raises(400, '{"code":-9999,"msg":"Something new."}')
    assert type(error) is ccxt.ExchangeError
    assert type(venue_error(error)) is OrderRejected


@pytest.mark.parametrize(
    ("status", "body", "ccxt_class", "expected"),
    [
        (400, '{"code":-1013,"msg":"Filter failure: NOTIONAL"}', ccxt.BadRequest, OrderRejected),
        (400, '{"code":-1013,"msg":"Filter failure: LOT_SIZE"}', ccxt.InvalidOrder, OrderRejected),
        (
            400,
            '{"code":-2010,"msg":"Account has insufficient balance for requested action."}',
            ccxt.InsufficientFunds,
            InsufficientFunds,
        ),
        (400, '{"code":-2013,"msg":"Order does not exist."}', ccxt.OrderNotFound, OrderRejected),
        (429, '{"code":-1003,"msg":"Too many requests."}', ccxt.DDoSProtection, TemporaryVenueError),
        (400, '{"code":-1003,"msg":"Too many requests."}', ccxt.RateLimitExceeded, TemporaryVenueError),
        (418, '{"code":-1003,"msg":"IP banned."}', ccxt.DDoSProtection, TemporaryVenueError),
        (500, "<html><body>Internal error</body></html>", ccxt.ExchangeNotAvailable, TemporaryVenueError),
        (
            503,
            '{"code":-1001,"msg":"Internal error; unable to process your request."}',
            ccxt.OperationFailed,
            TemporaryVenueError,
        ),
        (
            408,
            '{"code":-1007,"msg":"Timeout waiting for response; execution status unknown."}',
            ccxt.RequestTimeout,
            TemporaryVenueError,
        ),
        (200, '{"code":1,"msg":"System is under maintenance."}', ccxt.OnMaintenance, TemporaryVenueError),
        (
            400,
            '{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}',
            ccxt.InvalidNonce,
            TemporaryVenueError,
        ),
        (
            401,
            '{"code":-1022,"msg":"Signature for this request is not valid."}',
            ccxt.AuthenticationError,
            FatalVenueError,
        ),
        (
            401,
            '{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}',
            ccxt.AuthenticationError,
            FatalVenueError,
        ),
    ],
)
def test_real_binance_answers_map_as_measured_in_the_notes(
    status: int, body: str, ccxt_class: type[Exception], expected: type[VenueError]
) -> None:
    error = binance_raises(status, body)
    assert type(error) is ccxt_class
    assert type(venue_error(error)) is expected


def test_operation_failed_of_a_503_is_temporary_although_it_is_not_a_network_error() -> None:
    error = binance_raises(503, '{"code":-1001,"msg":"Internal error; unable to process your request."}')
    assert not isinstance(error, ccxt.NetworkError)
    assert isinstance(venue_error(error), TemporaryVenueError)


def exchange_with_headers(headers: dict[str, str]) -> Any:
    exchange = ccxt.binance()
    exchange.last_response_headers = headers
    return exchange


def test_retry_after_header_in_seconds_is_carried() -> None:
    error = binance_raises(429, '{"code":-1003,"msg":"Too many requests."}')
    converted = venue_error(error, exchange=exchange_with_headers({"Retry-After": "7"}))
    assert isinstance(converted, TemporaryVenueError)
    assert converted.retry_after == 7.0


def test_retry_after_header_is_matched_case_insensitively_and_may_be_an_http_date() -> None:
    headers = {"retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"}  # NOW + 30 s
    converted = venue_error(
        ccxt.RateLimitExceeded("x"), exchange=exchange_with_headers(headers), now=lambda: NOW
    )
    assert isinstance(converted, TemporaryVenueError)
    assert converted.retry_after == 30.0


def test_retry_after_header_of_a_503_operation_failed_is_carried() -> None:
    converted = venue_error(ccxt.OperationFailed("x"), exchange=exchange_with_headers({"Retry-After": "120"}))
    assert isinstance(converted, TemporaryVenueError)
    assert converted.retry_after == 120.0


def test_a_timeout_ignores_a_stale_retry_after_header_of_an_earlier_answer() -> None:
    converted = venue_error(ccxt.RequestTimeout("x"), exchange=exchange_with_headers({"Retry-After": "60"}))
    assert isinstance(converted, TemporaryVenueError)
    assert converted.retry_after is None


def test_binance_ban_deadline_in_the_message_becomes_retry_after() -> None:
    body = '{"code":-1003,"msg":"Way too much request weight used; IP banned until 1700000090000. Please use WebSocket Streams."}'
    converted = venue_error(binance_raises(418, body), now=lambda: NOW)
    assert isinstance(converted, TemporaryVenueError)
    assert converted.retry_after == 90.0


def test_no_retry_after_when_the_venue_does_not_say() -> None:
    converted = venue_error(binance_raises(429, '{"code":-1003,"msg":"Too many requests."}'))
    assert isinstance(converted, TemporaryVenueError)
    assert converted.retry_after is None


def test_messages_never_contain_the_key_the_secret_or_the_signature() -> None:
    error = ccxt.RequestTimeout(f"binance GET {SIGNED_URL}&apiKey={KEY}\nsecret {SECRET}")
    message = str(venue_error(error, secrets=(KEY, SECRET)))
    assert KEY not in message
    assert SECRET not in message
    assert "ab" * 32 not in message
    assert "connection to api.binance.com failed during GET /api/v3/account" in message  # no signed query
    assert "\n" not in message


def test_an_http_status_error_message_is_one_short_line_naming_the_class_and_the_action() -> None:
    page = "<html>\n<body>\n" + "Internal error " * 100 + "\n</body></html>"
    message = str(venue_error(binance_raises(500, page), action="fetch_balance"))
    assert message.startswith(
        "fetch_balance failed: ExchangeNotAvailable: binance GET https://api.binance.com"
    )
    assert "\n" not in message
    assert len(message) <= MAX_MESSAGE_LENGTH
    assert "signature=***" in message


def convert_at_the_boundary(original: Exception) -> None:
    try:
        raise original
    except ccxt.BaseError as error:
        raise venue_error(error) from error


def test_the_converted_error_can_be_chained_from_the_ccxt_one() -> None:
    original = ccxt.InsufficientFunds("binance Account has insufficient balance for requested action.")
    with pytest.raises(InsufficientFunds, match="insufficient balance") as caught:
        convert_at_the_boundary(original)
    assert caught.value.__cause__ is original


def test_scrub_ignores_empty_secrets() -> None:
    assert scrub("nothing to hide", ["", "x" * 0]) == "nothing to hide"
