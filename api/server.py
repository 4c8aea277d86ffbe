"""Serving the API with uvicorn (`python -m api [--host HOST] [--port PORT] [--workers N]`).

With several workers uvicorn binds the listening socket itself and hands it to the worker
processes, but creates it without IPPROTO_TCP (Kludex/uvicorn#3149, open in 0.54): asyncio then
leaves Nagle's algorithm on for every accepted connection and each keep-alive request after the
first waits ~40 ms for the client's delayed ACK. A bot calling back thousands of times pays that
on every call, so the listener is bound here, as TCP.

uvicorn by default believes X-Forwarded-For from 127.0.0.1. Here it believes it only from the
proxies listed in TRUSTED_PROXIES (none by default): the sign-in throttle counts failures per
client address, and a client must not choose its own.
"""

import argparse
import socket
import sys
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from settings import Settings, get_settings


class TcpListenerConfig(uvicorn.Config):
    """uvicorn's settings, with a pre-bound listener that says it is TCP, so connections get TCP_NODELAY."""

    def bind_socket(self) -> socket.socket:
        listener = super().bind_socket()
        if listener.family not in (socket.AF_INET, socket.AF_INET6) or listener.proto == socket.IPPROTO_TCP:
            return listener
        # The same file descriptor, declared TCP: accepted sockets inherit `proto`, and asyncio sets
        # TCP_NODELAY only on sockets whose proto is IPPROTO_TCP.
        tcp = socket.socket(listener.family, listener.type, socket.IPPROTO_TCP, fileno=listener.detach())
        tcp.set_inheritable(True)
        return tcp


def server_config(app: ASGIApp | str, settings: Settings, **options: Any) -> TcpListenerConfig:
    """uvicorn's settings for `app` (with `options` such as host, port, workers): X-Forwarded-For
    names the client only when the connection comes from one of the settings' trusted proxies."""
    trusted = list(settings.trusted_proxies)
    return TcpListenerConfig(app, proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None, **options)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the Invoice Automation API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default: %(default)s)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--no-access-log", action="store_true", help="do not log every request")
    arguments = parser.parse_args(argv)
    if arguments.workers < 1:
        parser.error("--workers must be at least 1")
    config = server_config(
        "api.main:app",
        get_settings(),
        host=arguments.host,
        port=arguments.port,
        workers=arguments.workers,
        log_level=arguments.log_level,
        access_log=not arguments.no_access_log,
    )
    server = uvicorn.Server(config)
    try:
        if config.workers == 1:
            server.run()  # asyncio binds the port itself, as TCP
        else:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started:
        sys.exit(STARTUP_FAILURE)
