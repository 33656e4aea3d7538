"""A real SMTP server for tests (aiosmtpd), that a test can stop and start again on the same port."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
import weakref
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}

_servers: weakref.WeakSet[SmtpServer] = weakref.WeakSet()
_servers_lock = threading.Lock()


def is_smtp_server_port(host: str, port: int) -> bool:
    """True when host:port belongs to an SmtpServer of this process (running or stopped).

    A stopped server's port is allowed through so that a test can check what the code does when the mail
    server is down: the connection is then really refused.
    """
    with _servers_lock:
        servers = list(_servers)
    return any(server.port == port and (host == server.host or host in LOOPBACK_NAMES) for server in servers)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope) -> str:  # aiosmtpd's hook name
        self.server._received(
            envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on ``host:port`` collecting messages as ``email.message.EmailMessage``.

    ``stop()`` and ``start()`` again keep the port and the messages received so far.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port or _free_port(host)
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TOs) per message
        self._condition = threading.Condition()
        self._controller: Controller | None = None
        with _servers_lock:
            _servers.add(self)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        if self._controller is not None:
            return self
        controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()

    def _received(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        message = email.message_from_bytes(data, policy=email.policy.default)
        with self._condition:
            self.messages.append(message)  # type: ignore[arg-type]  # policy.default gives EmailMessage
            self.envelopes.append((mail_from, rcpt_tos))
            self._condition.notify_all()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; return a copy of them. Raises AssertionError."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} message(s) at {self.host}:{self.port} within "
                        f"{timeout}s, got {len(self.messages)}"
                    )
                self._condition.wait(remaining)
            return list(self.messages)

    def clear(self) -> None:
        with self._condition:
            self.messages.clear()
            self.envelopes.clear()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<SmtpServer {self.host}:{self.port} {state}, {len(self.messages)} message(s)>"
