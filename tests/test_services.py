"""The real services the suite relies on answer: PostgreSQL, Redis, SMTP and Chromium."""

import smtplib
from email.message import EmailMessage

import pytest

from tests.support.smtp import SmtpServer


def test_postgresql_answers(postgresql_url):
    import psycopg

    assert postgresql_url.startswith("postgresql+psycopg://")
    with psycopg.connect(postgresql_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        # The database is the suite's own (the app fixture migrates it), never the server's default.
        assert conn.info.dbname != "postgres"


def test_redis_answers(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert client.ping() is True
    finally:
        client.close()


def test_chromium_is_executable(chromium_executable):
    import os

    assert os.access(chromium_executable, os.X_OK)


def _send(server, subject):
    message = EmailMessage()
    message["From"] = "casework@example.gov.uk"
    message["To"] = "officer@example.gov.uk"
    message["Subject"] = subject
    message.set_content("Hello")
    with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        smtp.send_message(message)


def test_smtp_server_receives_and_survives_restart(smtp_server):
    _send(smtp_server, "first")
    assert smtp_server.wait_for(1)[0]["Subject"] == "first"

    smtp_server.stop()
    with pytest.raises(ConnectionRefusedError):
        _send(smtp_server, "lost")

    smtp_server.start()
    _send(smtp_server, "second")
    received = smtp_server.wait_for(2)
    assert [m["Subject"] for m in received] == ["first", "second"]
    assert smtp_server.envelopes[-1] == ("casework@example.gov.uk", ["officer@example.gov.uk"])


def test_smtp_to_anything_else_fails_the_test():
    from tests.support.services import UnexpectedSmtpConnection, free_port

    with pytest.raises(UnexpectedSmtpConnection, match="starts its own SMTP server"):
        smtplib.SMTP("127.0.0.1", free_port(), timeout=1)
    with pytest.raises(UnexpectedSmtpConnection):
        smtplib.SMTP("mail.example.org:25", timeout=1)


def test_smtp_server_as_context_manager():
    with SmtpServer() as server:
        _send(server, "ctx")
        assert server.wait_for(1, timeout=5)[0].get_content().strip() == "Hello"
