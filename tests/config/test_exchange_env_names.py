"""``exchange.api_key_env`` and ``secret_env`` name environment variables; a key pasted there is refused
without being echoed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trimtab.config import load_config
from trimtab.config.exchange_section import looks_like_env_name
from trimtab.errors import ConfigError

BINANCE_LIKE_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
HEX_KEY = "3f9a0c7d2b6e41f8a5c09d1e7b2f4a6c"


def config_with(tmp_path: Path, key: str, value: str) -> Path:
    path = tmp_path / "trimtab.yaml"
    path.write_text(
        "portfolio:\n  target_weights: {BTC: 50, USDT: 50}\n"
        f"exchange:\n  name: binance\n  {key}: {value!r}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("name", ["TRIMTAB_API_KEY", "BINANCE_KEY_2", "binance_secret", "_KEY"])
def test_variable_names_are_accepted(name: str, tmp_path: Path) -> None:
    assert looks_like_env_name(name)
    assert load_config(config_with(tmp_path, "api_key_env", name)).exchange.api_key_env == name


@pytest.mark.parametrize(
    "pasted",
    [BINANCE_LIKE_KEY, HEX_KEY, "Xk9+2/ab==c8d7e6f5", "sk-live 1234 abcd", "1BINANCE"],
)
@pytest.mark.parametrize("key", ["api_key_env", "secret_env"])
def test_a_pasted_key_is_refused_without_echoing_it(pasted: str, key: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config_with(tmp_path, key, pasted))
    message = str(caught.value)
    assert f"exchange.{key}: expected the name of an environment variable" in message
    assert "does not look like one" in message
    assert pasted not in message
    assert pasted[:8] not in message


def test_validate_does_not_print_a_pasted_key(tmp_path: Path) -> None:
    path = config_with(tmp_path, "api_key_env", BINANCE_LIKE_KEY)
    result = subprocess.run(
        [sys.executable, "-m", "trimtab", "validate", "-c", str(path), "--debug"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "does not look like one" in result.stderr
    assert BINANCE_LIKE_KEY not in result.stdout + result.stderr
