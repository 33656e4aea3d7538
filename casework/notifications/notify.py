"""GOV.UK Notify, the public sector's service for email and text messages, through its own Python
client (notifications-python-client). Used for every outbox message when CASEWORK_NOTIFY_API_KEY is
set; the templates are Notify's, holding ((subject)) and ((body)) (email) or ((body)) (text)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app

from casework.notifications.models import OutboxEmail


class NotifyRefused(Exception):
    """Notify answered 4xx other than 429: the message will never be accepted as it is."""


def is_configured() -> bool:
    return bool(current_app.config["CASEWORK"].get("NOTIFY_API_KEY"))


def _client() -> Any:
    from notifications_python_client.notifications import NotificationsAPIClient

    settings = current_app.config["CASEWORK"]
    return NotificationsAPIClient(settings["NOTIFY_API_KEY"], base_url=settings["NOTIFY_BASE_URL"])


def reference(row: OutboxEmail) -> str:
    """A stable reference from the idempotency key (Notify shows it; it never holds personal data)."""
    return hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:40]


def send(row: OutboxEmail) -> str:
    """Hand one outbox row to Notify; returns Notify's notification id. Raises ``NotifyRefused`` when
    Notify refuses the message for good, ``OSError`` (requests' errors are) when it may be retried."""
    from notifications_python_client.errors import APIError

    from casework.notifications.services import delivered

    settings = current_app.config["CASEWORK"]
    client = _client()
    body, _html = delivered(row)
    try:
        if row.channel == "text":
            answer = client.send_sms_notification(
                phone_number=row.to_address,
                template_id=settings["NOTIFY_SMS_TEMPLATE_ID"],
                personalisation={"body": body},
                reference=reference(row),
            )
        else:
            answer = client.send_email_notification(
                email_address=row.to_address,
                template_id=settings["NOTIFY_EMAIL_TEMPLATE_ID"],
                personalisation={"subject": row.subject, "body": body},
                reference=reference(row),
            )
    except APIError as error:
        status = getattr(error, "status_code", 500) or 500
        if 400 <= status < 500 and status != 429:
            raise NotifyRefused(f"Notify refused the message ({status}): {error.message}") from error
        raise OSError(f"Notify answered {status}: {error.message}") from error
    return str(answer.get("id", ""))
