"""The deployment files (Dockerfile, compose.yaml, deploy/): what they promise holds against the real CLI.

No Docker daemon runs in CI, so the image is not built here; instead each promise the files make is
checked where it can be: the base image and the user, the pinned install, the health check's own
command run against a real ``trimtab serve``, the command lines they start parsed by trimtab itself,
the systemd unit verified by ``systemd-analyze``, and every secret taken from the environment.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from serving import serve

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
UNIT = (ROOT / "deploy" / "trimtab.service").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def final_stage(text: str) -> list[tuple[str, str]]:
    steps = instructions(text)
    last_from = max(index for index, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def exec_form(arguments: str) -> list[str]:
    parsed = json.loads(arguments)
    assert isinstance(parsed, list)
    return [str(part) for part in parsed]


def serve_arguments_parse(arguments: list[str]) -> None:
    """trimtab's own parser accepts ``arguments`` (a command a deployment file starts): ``--help``
    appended, so it parses the options and exits 0 without serving."""
    done = subprocess.run(
        [sys.executable, "-m", "trimtab", *arguments, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for option in (part for part in arguments if part.startswith("--")):
        assert option in done.stdout, f"{option} is not an option of {' '.join(arguments[:2])}"


def test_the_image_is_slim_pinned_and_not_root() -> None:
    steps = instructions(DOCKERFILE)
    bases = [rest.split()[0] for keyword, rest in steps if keyword == "FROM"]
    assert bases
    assert all(base == "python:3.11-slim" for base in bases)
    installs = [rest for keyword, rest in steps if keyword == "RUN" and "pip install" in rest]
    assert installs
    assert all("-c constraints.txt" in rest for rest in installs)
    last = final_stage(DOCKERFILE)
    users = [rest for keyword, rest in last if keyword == "USER"]
    assert users
    assert users[-1] not in {"root", "0"}
    assert ("VOLUME", '["/data"]') in last
    assert any(keyword == "EXPOSE" and rest == "8750" for keyword, rest in last)


def test_the_image_starts_serve_with_options_trimtab_knows() -> None:
    last = dict(final_stage(DOCKERFILE))
    command = exec_form(last["ENTRYPOINT"]) + exec_form(last["CMD"])
    assert command[:2] == ["trimtab", "serve"]
    serve_arguments_parse(command[1:])


def test_the_unit_starts_serve_with_options_trimtab_knows() -> None:
    start = next(line for line in UNIT.splitlines() if line.startswith("ExecStart="))
    command = shlex.split(start.removeprefix("ExecStart="))
    assert Path(command[0]).name == "trimtab"
    assert command[1] == "serve"
    serve_arguments_parse(command[1:])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    # verify insists that ExecStart's program exists: point it at this environment's trimtab.
    here = Path(sys.executable).parent / "trimtab"
    unit = tmp_path / "trimtab.service"
    unit.write_text(UNIT.replace("/opt/trimtab/bin/trimtab", str(here)), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    complaints = [line for line in done.stderr.splitlines() if str(unit) in line]
    assert done.returncode == 0, done.stderr
    assert not complaints, done.stderr
    assert "RestartPreventExitStatus=2" in UNIT  # a bad config is not restarted in a loop


def test_compose_publishes_on_loopback_and_takes_secrets_from_the_environment() -> None:
    service = COMPOSE["services"]["trimtab"]
    assert all(str(port).startswith("127.0.0.1:") for port in service["ports"])
    assert any(str(volume).endswith(":/data") for volume in service["volumes"])
    environment = service["environment"]
    assert environment["TRIMTAB_WEB_TOKEN"].startswith("${TRIMTAB_WEB_TOKEN:?")  # required, never a default
    for name, value in environment.items():
        assert re.fullmatch(r"\$\{" + name + r"(:[-?][^}]*)?\}", str(value)), f"{name} must come from .env"


def test_the_secret_names_are_the_ones_trimtab_reads() -> None:
    names = re.findall(r"^([A-Z_]+)=", ENV_EXAMPLE, flags=re.MULTILINE)
    sources = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "src").rglob("*.py"))
    examples = (ROOT / "src" / "trimtab" / "examples" / "trimtab.yaml").read_text(encoding="utf-8")
    for name in names:
        assert name in sources or name in examples, f"{name} is read by nothing"
    assert {"TRIMTAB_WEB_TOKEN", "TRIMTAB_NOTIFY_URLS"} <= set(names)


def health_check_command(port: int) -> list[str]:
    """The Dockerfile's HEALTHCHECK command, aimed at ``port`` on loopback."""
    check = next(rest for keyword, rest in final_stage(DOCKERFILE) if keyword == "HEALTHCHECK")
    command = exec_form(check[check.index("CMD") + 3 :].strip())
    assert command[0] == "python"
    return [sys.executable, *command[1:-1], command[-1].replace(":8750/", f":{port}/")]


def test_the_health_check_passes_on_a_running_service_and_fails_without_one(
    write_config: Callable[[], Path],
) -> None:
    served = serve(write_config())
    try:
        port = urlsplit(served.listening()).port
        assert port is not None
        healthy = subprocess.run(health_check_command(port), capture_output=True, timeout=30, check=False)
    finally:
        code, stderr = served.stop()
    assert healthy.returncode == 0, healthy.stderr
    assert code == 0, stderr
    down = subprocess.run(health_check_command(port), capture_output=True, timeout=30, check=False)
    assert down.returncode != 0
