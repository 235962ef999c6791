"""``trimtab serve``: one or more portfolios on their schedules in one process, with the JSON API.

The fleet (:mod:`trimtab.app.fleet`) and the web server (uvicorn, :mod:`trimtab.web`) share one asyncio
loop. trimtab handles SIGTERM and SIGINT itself (uvicorn's handlers are left out): a signal stops the
schedules after the run each portfolio is in, the server after the requests it is answering, then the
bots are closed and the locks released, and the command exits 0 with the ledgers consistent.

Refused before anything starts, exit 2 with one line: a bad config (naming the file), two portfolios with
one name, data folder or ledger, a host other than loopback without ``TRIMTAB_WEB_TOKEN``, a port in use,
and every portfolio driven by another process. The web server (fastapi, uvicorn) is imported only inside the
command: ``trimtab --help`` does not pay for them.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trimtab.cli.flag_hints import error_line
from trimtab.cli.support import DEFAULT_CONFIG, DebugOption, emit_json_line, guarded, out
from trimtab.errors import ConfigError, TrimtabError

if TYPE_CHECKING:
    import asyncio

    from trimtab.app.fleet import Fleet
    from trimtab.app.fleet_parts import FleetEvent, ServedConfig
    from trimtab.notify import Notifier

TOKEN_VARIABLE = "TRIMTAB_WEB_TOKEN"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8750
#: With a PostgreSQL ledger: how often a standby portfolio is tried (the fleet's default, without importing it).
TAKEOVER_SECONDS = 5.0
SHUTDOWN_GRACE_SECONDS = 30  # for requests in flight once a signal came (a POST rebalance finishes)


def serve(
    configs: Annotated[
        list[Path] | None,
        typer.Option("-c", "--config", help="A portfolio's YAML config (repeat for more portfolios)."),
    ] = None,
    config_dir: Annotated[
        Path | None, typer.Option("--config-dir", help="Serve every *.yaml in this folder (sorted).")
    ] = None,
    host: Annotated[
        str,
        typer.Option("--host", help="Listen on this address (other than loopback needs TRIMTAB_WEB_TOKEN)."),
    ] = DEFAULT_HOST,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Listen on this port.")
    ] = DEFAULT_PORT,
    backtests: Annotated[
        Path | None,
        typer.Option(
            "--backtests", help="List and open the HTML backtest reports in this folder (/backtests)."
        ),
    ] = None,
    takeover_seconds: Annotated[
        float,
        typer.Option(
            "--takeover-seconds",
            min=0.1,
            max=3600,
            help="With a PostgreSQL ledger: how often to try to take over the portfolios another serve drives.",
        ),
    ] = TAKEOVER_SECONDS,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per event.")] = False,
    debug: DebugOption = False,
) -> None:
    """Run portfolios on their schedules with a JSON API and a dashboard (Ctrl-C or SIGTERM stop it cleanly)."""
    guarded(
        debug,
        lambda: serve_portfolios(
            config_files(configs, config_dir),
            host,
            port,
            as_json=as_json,
            backtests=backtests,
            takeover_seconds=takeover_seconds,
        ),
    )


def config_files(configs: list[Path] | None, config_dir: Path | None) -> list[Path]:
    """The ``-c`` files, then every ``*.yaml`` of ``--config-dir`` (sorted); ``trimtab.yaml`` if neither."""
    files = list(configs or [])
    if config_dir is not None:
        if not config_dir.is_dir():
            raise ConfigError(str(config_dir), "", "no such folder (--config-dir)")
        found = sorted(path for path in config_dir.glob("*.yaml") if path.is_file())
        if not found:
            raise ConfigError(str(config_dir), "", "holds no *.yaml config file (--config-dir)")
        files += found
    return files or [DEFAULT_CONFIG]


def load_portfolios(files: list[Path]) -> list[ServedConfig]:
    """Each file's config and portfolio name; one line naming the file for a bad one or a name twice."""
    from trimtab.app.fleet_parts import ServedConfig
    from trimtab.app.portfolio_home import portfolio_name
    from trimtab.config import load_config

    served: list[ServedConfig] = []
    named: dict[str, Path] = {}
    for path in files:
        config = load_config(path)
        name = portfolio_name(config, path)
        if name in named:
            raise ConfigError(
                str(path), "name", f"the portfolio name {name!r} is also the name of {named[name]}; set name:"
            )
        named[name] = path
        served.append(ServedConfig(name, config, path))
    return served


def web_token(host: str, environ: dict[str, str] | None = None) -> str | None:
    """``TRIMTAB_WEB_TOKEN`` (redacted from everything printed from now on); refuses a host other than
    loopback without it."""
    from trimtab.redaction import register_secret

    token = (os.environ if environ is None else environ).get(TOKEN_VARIABLE, "").strip() or None
    register_secret(token)
    if not host.strip():
        raise ConfigError(
            "command line", "--host", f"expected an address to listen on, such as {DEFAULT_HOST}"
        )
    if token is None and not is_loopback(host):
        raise ConfigError(
            "command line",
            "--host",
            f"{host} is reachable from other machines: set {TOKEN_VARIABLE} (a long random secret) "
            f"or listen on {DEFAULT_HOST}",
        )
    return token


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (one line, exit 2, when the port is taken or the host unknown)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise ConfigError("command line", "--host", f"cannot resolve {host} ({error.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.set_inheritable(False)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(
                "command line", "--port", f"port {port} on {host} is in use; choose another with --port"
            ) from None
        raise ConfigError(
            "command line", "--host", f"cannot listen on {host}:{port} ({error.strerror})"
        ) from None
    return sock


def serve_portfolios(
    files: list[Path],
    host: str,
    port: int,
    *,
    as_json: bool,
    announce: str | None = None,
    backtests: Path | None = None,
    takeover_seconds: float = TAKEOVER_SECONDS,
) -> None:
    """Load, check, bind, then serve until a signal; ``announce`` is one more line after the URL;
    ``backtests``: the folder of HTML reports the dashboard lists; ``takeover_seconds``: how often a
    standby portfolio (driven by another process) is tried."""
    import asyncio  # not at the top: `trimtab --help` and a backtest start without it

    if backtests is not None and not backtests.is_dir():
        raise ConfigError(str(backtests), "", "no such folder (--backtests)")
    portfolios = load_portfolios(files)
    token = web_token(host)
    sock = listening_socket(host, port)
    try:
        asyncio.run(
            _serve(
                portfolios,
                sock,
                token,
                as_json=as_json,
                announce=announce,
                backtests=backtests,
                takeover_seconds=takeover_seconds,
            )
        )
    finally:
        sock.close()
    if not as_json:
        out.print("Stopped: every portfolio finished its run.")


async def _serve(
    portfolios: list[ServedConfig],
    sock: socket.socket,
    token: str | None,
    *,
    as_json: bool,
    announce: str | None,
    backtests: Path | None = None,
    takeover_seconds: float = TAKEOVER_SECONDS,
) -> None:
    import asyncio

    from trimtab.app.fleet import Fleet
    from trimtab.web.app import create_app

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    notifiers = Notifiers(portfolios)
    show = _printer(as_json)

    def report(event: FleetEvent) -> None:
        show(event)
        notifiers.send(event)

    try:
        fleet = await Fleet.open(portfolios, report, takeover_seconds=takeover_seconds)
        try:
            if not stop.is_set():  # a signal while the portfolios were opened: no run is started
                await _until_stopped(
                    fleet, create_app(fleet, token, backtests=backtests), sock, stop, as_json, announce
                )
        finally:
            await fleet.stop()  # every portfolio finishes the run it is in
    finally:
        await notifiers.aclose()
        for sig in signals:
            loop.remove_signal_handler(sig)


async def _until_stopped(
    fleet: Fleet, app: Any, sock: socket.socket, stop: asyncio.Event, as_json: bool, announce: str | None
) -> None:
    """Run the schedules and the web server until a signal (or the server fails: one line, exit 1)."""
    import asyncio

    from trimtab.web.server import quiet_server

    loop = asyncio.get_running_loop()
    fleet.start()
    server = quiet_server(app, grace=SHUTDOWN_GRACE_SECONDS)
    server_task = loop.create_task(server.serve_on(sock))
    _listening(sock, fleet, as_json, announce)
    stopped = loop.create_task(stop.wait())
    await asyncio.wait({server_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    fleet.stop_schedules()  # no new run while the server finishes the requests it is answering
    server.stop()
    try:
        await server_task
    except BaseException as error:  # uvicorn ends a failed start with SystemExit
        raise TrimtabError(f"the web server stopped: {type(error).__name__}: {error}") from None
    if not stop.is_set():
        raise TrimtabError("the web server stopped on its own; the portfolios were stopped after their runs")


def _listening(sock: socket.socket, fleet: Fleet, as_json: bool, announce: str | None) -> None:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    if as_json:
        line = {"event": "listening", "url": url, "portfolios": list(fleet.portfolios)}
        emit_json_line(line | {"standby": list(fleet.standby)})
        return
    count = len(fleet.portfolios)
    standby = f", {len(fleet.standby)} on standby" if fleet.standby else ""
    out.print(
        f"Serving {count} portfolio{'s' if count != 1 else ''}{standby} at {url} (dashboard: {url}/, "
        f"API: {url}/docs). Ctrl-C stops.",
        markup=False,
        soft_wrap=True,
    )
    if announce:
        out.print(announce, markup=False, soft_wrap=True)


def _printer(as_json: bool) -> Callable[[FleetEvent], None]:
    from trimtab.cli.serve_output import json_event, text_line

    def show(event: FleetEvent) -> None:
        if as_json:
            emit_json_line(json_event(event, error_line))
        else:
            out.print(text_line(event, error_line), markup=False, soft_wrap=True)

    return show


class Notifiers:
    """Each portfolio's notifier (its config's ``notify:`` and ``TRIMTAB_NOTIFY_URLS``; none without URLs),
    fed the fleet's events: every check, and the kill switch or a guard stopping a portfolio. A failed
    notification never stops a run: the notifier logs it."""

    def __init__(self, portfolios: list[ServedConfig]) -> None:
        from trimtab.cli.notifying import notifier_of
        from trimtab.web.errors import api_spelling

        self._by_name: dict[str, Notifier] = {}
        for served in portfolios:
            # its URLs checked before anything runs; a kill switch is lifted through the API here
            notifier = notifier_of(served.config, served.path, api_spelling(served.name))
            if notifier is not None:
                self._by_name[served.name] = notifier

    def send(self, event: FleetEvent) -> None:
        from trimtab.app.fleet_parts import Checked, PortfolioState, StateChanged

        notifier = self._by_name.get(event.portfolio)
        if notifier is None:
            return
        if isinstance(event, Checked):
            notifier.report(event.event)
        elif isinstance(event, StateChanged) and event.state is PortfolioState.KILL_SWITCH:
            # sent as kill_switch or guard (the account disagrees with the ledger) by the error's kind
            notifier.failure(event.error if event.error is not None else event.reason)

    async def aclose(self) -> None:
        for notifier in self._by_name.values():
            await notifier.aclose()
