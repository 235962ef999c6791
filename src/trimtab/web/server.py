"""The HTTP server of ``trimtab serve``: uvicorn on a socket the command line bound, in its event loop.

uvicorn's own SIGINT/SIGTERM handlers are left out: the command line handles the signals, stopping the
portfolios' schedules first and then this server (``should_exit``), which finishes the requests it is
answering within ``grace`` seconds.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


class QuietServer(uvicorn.Server):
    """A uvicorn server that installs no signal handlers and prints nothing below a warning."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def serve_on(self, sock: socket.socket) -> None:
        await self.serve(sockets=[sock])

    def stop(self) -> None:
        self.should_exit = True


def quiet_server(app: FastAPI, *, grace: float) -> QuietServer:
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=int(grace)
    )
    return QuietServer(config)
