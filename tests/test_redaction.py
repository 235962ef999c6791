"""Credentials never reach the terminal: the redaction of text, of the standard streams and of --debug tracebacks."""

from __future__ import annotations

import io

import pytest
import typer

from trimtab.cli.support import guarded
from trimtab.errors import TemporaryVenueError
from trimtab.redaction import REDACTED, RedactingStream, redact, register_secret

KEY = "rEdAcTkEy0123456789AbCdEfGhIjKlMnOp"
SECRET = "rEdAcTsEcReT/+=9876543210zyxwvu"


@pytest.fixture(autouse=True)
def registered() -> None:
    register_secret(KEY, SECRET)


def test_a_registered_secret_is_replaced_wherever_it_appears() -> None:
    text = f"key {KEY} and again {KEY}; secret {SECRET}"
    assert redact(text) == f"key {REDACTED} and again {REDACTED}; secret {REDACTED}"


def test_the_url_encoded_form_of_a_secret_is_replaced_too() -> None:
    assert "rEdAcTsEcReT%2F%2B%3D98" not in redact("body=x&secret=1 rEdAcTsEcReT%2F%2B%3D9876543210zyxwvu")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "binance GET https://api.binance.com/api/v3/account?timestamp=1&recvWindow=5000&signature=9f8e7d",
            "binance GET https://api.binance.com/api/v3/account?timestamp=1&recvWindow=5000&signature=***",
        ),
        ("symbol=BTCUSDT&apiKey=zzz&side=BUY", "symbol=BTCUSDT&apiKey=***&side=BUY"),
        ("RequestHeaders: {'X-MBX-APIKEY': 'abc123'}", "RequestHeaders: {'X-MBX-APIKEY': '***'}"),
        (
            '{"OK-ACCESS-SIGN": "s1", "CB-ACCESS-KEY": "k1"}',
            '{"OK-ACCESS-SIGN": "***", "CB-ACCESS-KEY": "***"}',
        ),
        ("X-MBX-APIKEY: abc123", "X-MBX-APIKEY: ***"),
        ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: Bearer ***"),
        ("postgresql://bob:hunter2@db.example/trimtab", "postgresql://bob:***@db.example/trimtab"),
    ],
)
def test_credential_shaped_values_are_replaced_whatever_their_value(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "trimtab.yaml: exchange.api_key_env: the environment variable BINANCE_KEY is not set",
        "design: sells before buys; assign: none",
        "BTC  25,754.12  40.0 %",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_short_values_are_not_registered_as_text_but_explicit_ones_are_replaced() -> None:
    register_secret("abc")
    assert redact("abc") == "abc"  # would match ordinary words
    assert redact("abc", ["abc"]) == REDACTED


def test_line_breaks_are_kept() -> None:
    assert redact(f"one\n{KEY}\nthree\n") == f"one\n{REDACTED}\nthree\n"


def test_the_stream_redacts_a_secret_split_over_two_writes() -> None:
    target = io.StringIO()
    stream = RedactingStream(target)
    stream.write(f"prefix {KEY[:10]}")
    stream.write(f"{KEY[10:]} suffix\nsignature=")
    assert target.getvalue() == f"prefix {REDACTED} suffix\n"
    stream.write("abcdef")
    stream.flush()
    assert target.getvalue() == f"prefix {REDACTED} suffix\nsignature={REDACTED}"


def test_the_stream_offers_no_binary_buffer_that_would_bypass_it() -> None:
    stream = RedactingStream(io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    assert stream.encoding == "utf-8"
    assert not hasattr(stream, "buffer")
    assert stream.isatty() is False


def test_debug_prints_the_traceback_through_the_redaction(capsys: pytest.CaptureFixture[str]) -> None:
    def action() -> None:
        try:
            raise OSError(f"GET /api/v3/account?signature=0badc0de X-MBX-APIKEY: {KEY} secret {SECRET}")
        except OSError as cause:
            raise TemporaryVenueError(f"fetch_balance failed with {KEY}") from cause

    with pytest.raises(typer.Exit) as stopped:
        guarded(True, action)
    assert stopped.value.exit_code == 1
    stderr = capsys.readouterr().err
    assert "Traceback (most recent call last)" in stderr
    assert "The above exception was the direct cause" in stderr
    assert "fetch_balance failed with ***" in stderr
    for leaked in (KEY, SECRET, "0badc0de"):
        assert leaked not in stderr


def test_an_unexpected_error_with_debug_is_redacted_and_keeps_exit_code_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def action() -> None:
        raise RuntimeError(f"boom {KEY}")

    with pytest.raises(typer.Exit) as stopped:
        guarded(True, action)
    assert stopped.value.exit_code == 1
    stderr = capsys.readouterr().err
    assert "Traceback" in stderr
    assert KEY not in stderr
    assert "unexpected RuntimeError: boom ***" in stderr
