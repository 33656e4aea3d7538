"""What the recipient of an outbox message got, read from the mail folder the tests send to
(``CASEWORK_MAIL_DIR``: Flask-Mailman's file backend for email, ``text-<reference>.txt`` for a text
message). A sign-in link or code is there and nowhere in the outbox (``OutboxEmail.sealed_secret``
is blanked once the message goes), so a test that signs in as the recipient reads it here."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

from flask import current_app

from casework.notifications import notify

#: What Flask-Mailman's file backend writes after each message.
_SEPARATOR = b"-" * 79 + b"\n"


def sent_text(row: Any) -> str:
    """The text of outbox message ``row`` as it was sent (the tests send at commit, eagerly)."""
    folder = Path(current_app.config["MAIL_FILE_PATH"])
    reference = notify.reference(row)
    if row.channel == "text":
        return (folder / f"text-{reference}.txt").read_text()
    message_id = f"<{reference}@casework>"
    for path in sorted(folder.glob("*.log")):
        for written in path.read_bytes().split(_SEPARATOR):
            message = email.message_from_bytes(written.strip(), policy=email.policy.default)
            if message["Message-ID"] == message_id:
                body = message.get_body(preferencelist=("plain",))
                assert body is not None
                return str(body.get_content())
    raise AssertionError(f"message {row.id} ({row.subject!r}) was not sent to the mail folder")
