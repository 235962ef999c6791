"""Notification URLs: checked by apprise, named by a label that carries no secret, never echoed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from trimtab.config import config_from_mapping
from trimtab.config.notify_section import DEFAULT_EVENTS, NotifyEvent
from trimtab.errors import ConfigError
from trimtab.notify import notifier_for
from trimtab.notify.targets import Target, label_of, secret_parts
from trimtab.redaction import redact

TELEGRAM = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321"
BASE = {"portfolio": {"target_weights": {"BTC": 50, "USDT": 50}}}


def config_with(notify: object, name: str = "main") -> object:
    return config_from_mapping({**BASE, "name": name, "notify": notify}, "trimtab.yaml")


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("json://127.0.0.1:8080/hooks/x", "json://127.0.0.1"),
        ("mailto://me:hunter22@smtp.example.com", "mailto://smtp.example.com"),
        ("ntfys://ntfy.sh/my-secret-topic", "ntfys://ntfy.sh"),
        (TELEGRAM, "tgram://…"),  # the host is the bot token
        ("ntfy://my-secret-topic", "ntfy://…"),
        ("discord://123456789012345678/abcdefTOKEN", "discord://…"),
        ("not a url", "(not a URL)"),
    ],
)
def test_a_target_is_labelled_by_scheme_and_host_only_when_the_host_is_a_server(url: str, label: str) -> None:
    assert label_of(url) == label
    assert "hunter22" not in repr(Target.of(url, "notify.urls[0]"))


def test_the_secret_parts_of_a_url_are_redacted_from_everything_printed() -> None:
    target = Target.of(TELEGRAM, "notify.urls[0]")
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" in secret_parts(TELEGRAM)
    printed = redact(f"sending to {TELEGRAM}; bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw said no")
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in printed
    assert TELEGRAM not in str(target)


def test_apprise_log_lines_carry_no_url_part(caplog: pytest.LogCaptureFixture) -> None:
    Target.of("json://127.0.0.1:9/hooks/s3cretpath", "notify.urls[0]")
    with caplog.at_level(logging.DEBUG, logger="apprise"):
        logging.getLogger("apprise").debug("JSON POST URL: http://127.0.0.1:9/hooks/s3cretpath")
    assert "s3cretpath" not in caplog.text
    assert "JSON POST URL" in caplog.text


def test_the_notify_section_defaults_to_every_event_but_skipped() -> None:
    config = config_with({"urls": "json://127.0.0.1/a, json://127.0.0.1/b"})
    assert config.notify.urls == ("json://127.0.0.1/a", "json://127.0.0.1/b")  # a string is split
    assert config.notify.events == DEFAULT_EVENTS
    assert NotifyEvent.SKIPPED not in config.notify.events
    assert "127.0.0.1" not in repr(config)


@pytest.mark.parametrize(
    ("notify", "key", "expected"),
    [
        ({"urls": [TELEGRAM, 5]}, "notify.urls", "item [1] is int"),
        ({"urls": {"t": TELEGRAM}}, "notify.urls", "expected a list of apprise URLs, got dict"),
        ({"events": ["rebalanced", "sometimes"]}, "notify.events", "expected"),
        ({"url": TELEGRAM}, "notify.url", "did you mean 'urls'"),
    ],
)
def test_a_bad_notify_section_is_one_line_that_never_echoes_a_url(
    notify: object, key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        config_with(notify)
    message = str(caught.value)
    assert f"trimtab.yaml: {key}" in message
    assert expected in message
    assert "AAHdq" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("foo://user:s3cretpass@example.com/x", "unknown notification scheme foo://"),
        ("tgram://s3cretpass", "tgram:// is Telegram, but apprise cannot use this URL"),
        ("https://example.com/s3cretpass", "apprise does not know this https:// URL; for a plain webhook"),
    ],
)
def test_a_url_apprise_cannot_use_names_its_place_and_scheme_only(
    url: str, expected: str, tmp_path: Path
) -> None:
    config = config_with({"urls": ["json://127.0.0.1:9/ok", url]})
    with pytest.raises(ConfigError) as caught:
        notifier_for(config, tmp_path / "main.yaml", {})
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'main.yaml'}: notify.urls[1]: {expected}")
    assert "s3cretpass" not in message
    assert len(message.splitlines()) == 1


def test_urls_come_from_the_environment_too(tmp_path: Path) -> None:
    config = config_with({"urls": ["json://127.0.0.1:9/a"], "events": ["failed"]})
    environ = {"TRIMTAB_NOTIFY_URLS": "json://127.0.0.1:9/b  json://127.0.0.1:9/a,ntfy://topic-of-mine"}
    notifier = notifier_for(config, tmp_path / "x.yaml", environ)
    assert notifier is not None
    assert notifier.portfolio == "main"
    assert [t.where for t in notifier.targets] == [
        "notify.urls[0]",
        "TRIMTAB_NOTIFY_URLS[0]",
        "TRIMTAB_NOTIFY_URLS[2]",
    ]  # the repeated URL is sent to once
    assert notifier.events == {NotifyEvent.FAILED}
    with pytest.raises(
        ConfigError, match=r"^environment: TRIMTAB_NOTIFY_URLS\[0\]: unknown notification scheme"
    ):
        notifier_for(config, tmp_path / "x.yaml", {"TRIMTAB_NOTIFY_URLS": "nope://s3cretpass"})


def test_no_url_means_no_notifier(tmp_path: Path) -> None:
    assert notifier_for(config_with({}), tmp_path / "x.yaml", {"TRIMTAB_NOTIFY_URLS": " , "}) is None
