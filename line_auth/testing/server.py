"""Serve a ``LineEmulator`` over HTTP on loopback, for browsers, other processes and benchmarks.

The emulator hands out tokens to anyone, so it refuses to start inside a Django
project running with ``DEBUG = False`` unless explicitly forced.

CLI::

    python -m line_auth.testing.server [--port 8001] [--channel-id 1234567890] \\
        [--channel-secret 0123456789abcdef0123456789abcdef] [--callback-url URL ...] \\
        [--channel ID:SECRET[:PROVIDER] ...] [--user "Taro Line"] [--force]
"""

from __future__ import annotations

import argparse
import os
import threading
from socketserver import ThreadingMixIn
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .emulator import LineEmulator
from .state import DEFAULT_PROVIDER, Channel, EmulatedUser, EmulatorError, new_user_id
from .webio import LIVE_KEY

DEFAULT_CHANNEL_ID = "1234567890"
DEFAULT_CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    # An idle keep-alive connection (a browser's preconnect) would block a join on close.
    daemon_threads = True
    block_on_close = False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean; ``LineEmulator.calls`` is the request log."""


class RunningServer:
    """A live emulator; ``url`` is its root, which serves both LINE hosts."""

    def __init__(
        self, emulator: LineEmulator, server: WSGIServer, thread: threading.Thread
    ) -> None:
        self.emulator = emulator
        self._server = server
        self._thread = thread
        # An AF_INET server's address is (host, port); typeshed allows any socket's address.
        host, port = cast("tuple[str, int]", server.server_address[:2])
        self.port: int = port
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving; requests held (``hold_next``, a live timeout) are let go first."""
        self.emulator.release_holds()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def serve(
    emulator: LineEmulator, host: str = "127.0.0.1", port: int = 0, *, force: bool = False
) -> RunningServer:
    """Start serving in a daemon thread; ``port=0`` picks a free port.

    The emulator is pointed at the server (``LineEmulator.point_at``), so the links it
    hands out (discovery, the authorization endpoint) lead back to it.
    """
    if not force and _django_debug_off():
        raise EmulatorError(
            "Refusing to serve the LINE emulator: Django settings have DEBUG = False. "
            "It issues tokens to anyone; pass force=True (or --force) if this really is "
            "a test environment."
        )

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        environ[LIVE_KEY] = True
        return emulator.app(environ, start_response)

    server = make_server(
        host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="line-emulator", daemon=True)
    thread.start()
    running = RunningServer(emulator, server, thread)
    emulator.point_at(running.url)
    return running


def _django_debug_off() -> bool:
    """True when a Django project is configured and not in DEBUG; works without Django installed."""
    try:
        from django.conf import settings
    except ImportError:
        return False
    if not (settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE")):
        return False
    return not settings.DEBUG


def site_settings(channel_id: str, channel_secret: str, url: str) -> str:
    """The settings that point a Django site at this emulator; without them it talks to LINE."""
    return (
        f'    SOCIAL_AUTH_LINE_KEY = "{channel_id}"\n'
        f'    SOCIAL_AUTH_LINE_SECRET = "{channel_secret}"\n'
        f'    LINE_AUTH_ACCESS_BASE_URL = "{url}"\n'
        f'    LINE_AUTH_API_BASE_URL = "{url}"\n'
    )


def extra_channel(value: str) -> Channel:
    """``ID:SECRET`` or ``ID:SECRET:PROVIDER`` from the command line."""
    channel_id, _, rest = value.partition(":")
    secret, _, provider = rest.partition(":")
    if not channel_id.isdigit() or not secret:
        raise argparse.ArgumentTypeError(f"expected ID:SECRET[:PROVIDER], got {value!r}")
    return Channel(channel_id, secret, provider=provider or DEFAULT_PROVIDER)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m line_auth.testing.server",
        description=__doc__.split("\n\n")[0],
        epilog="With the defaults, your Django site's development settings are:\n"
        + site_settings(DEFAULT_CHANNEL_ID, DEFAULT_CHANNEL_SECRET, "http://127.0.0.1:8001"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, default=8001, help="port on 127.0.0.1 (default: %(default)s)"
    )
    parser.add_argument(
        "--channel-id",
        default=DEFAULT_CHANNEL_ID,
        help="the LINE Login channel ID it accepts; your SOCIAL_AUTH_LINE_KEY (default: %(default)s)",
    )
    parser.add_argument(
        "--channel-secret",
        default=DEFAULT_CHANNEL_SECRET,
        help="that channel's secret; your SOCIAL_AUTH_LINE_SECRET (default: %(default)s)",
    )
    parser.add_argument(
        "--callback-url", action="append", help="registered callback URL (repeatable; default: any)"
    )
    parser.add_argument(
        "--channel",
        action="append",
        default=[],
        type=extra_channel,
        metavar="ID:SECRET[:PROVIDER]",
        help="another channel it serves, as in LINE_AUTH_CHANNELS (repeatable)",
    )
    parser.add_argument(
        "--user", action="append", default=[], help="create a user with this name (repeatable)"
    )
    parser.add_argument(
        "--force", action="store_true", help="serve even if Django settings have DEBUG = False"
    )
    args = parser.parse_args(argv)

    users = [EmulatedUser(new_user_id(), name) for name in args.user]
    channel = Channel(args.channel_id, args.channel_secret, args.callback_url)
    emulator = LineEmulator([channel, *args.channel], users)
    try:
        running = serve(emulator, port=args.port, force=args.force)
    except EmulatorError as exc:
        parser.exit(2, f"{exc}\n")
    print(f"LINE emulator on {running.url}; your Django site's development settings are:")
    print(site_settings(args.channel_id, args.channel_secret, running.url), end="")
    for user in users:
        print(f"  user {user.name!r}: {user.user_id}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
