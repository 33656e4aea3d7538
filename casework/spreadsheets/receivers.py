"""The imports' part in the lifecycle of the records they brought in (``casework.core.lifecycle``)."""

from __future__ import annotations

from typing import Any

from casework.spreadsheets import services


def on_records_anonymised(_app: Any, *, report: Any, **_: Any) -> None:
    """The source's own reference for each record anonymised goes: it names the record in the source."""
    services.forget_source_keys(report.items)
