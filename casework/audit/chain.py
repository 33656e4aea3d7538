"""The audit log's hashes: pure functions, shared by the writer, the sealing task and ``audit verify``.

    values_hash = sha256(canonical {nonce, summary, changes, ip_address})    kept in audit_entries
    entry digest = sha256(canonical [id, created_at, actor_id, action, object_type, object_id, values_hash])
    seal hash    = sha256(previous seal hash + entry digest)                 kept in audit_seals

So the chain covers who, when, what kind, the subject and a hash of the personal values, while the values
themselves can be erased (the entry keeps ``values_hash``, the chain still verifies) or moved to another
subject (the subject a value belongs to is not hashed). The nonce is random per entry and erased with the
values, so nobody can confirm a guess at an erased value against ``values_hash``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from typing import Any

#: The "previous hash" of the first seal.
GENESIS = "0" * 64


def plain(value: Any) -> Any:
    """``value`` as JSON-native data (what the JSON column gives back), so its hash survives a round trip."""
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def values_digest(nonce: str | None, summary: str, changes: Any, ip_address: str | None) -> str:
    return _sha256(canonical({"nonce": nonce, "summary": summary, "changes": plain(changes), "ip_address": ip_address}))


_encode = json.JSONEncoder(ensure_ascii=False).encode


def view_values_digests(nonces: list[str], summaries: list[str], ip_address: str | None) -> list[str]:
    """``values_digest(nonce, summary, None, ip_address)`` of each of many entries without changes (a
    page's view entries), the same hashes with less work: the canonical form written out directly, with
    the address and each summary (a list's entries share one) encoded once."""
    head = f'{{"changes":null,"ip_address":{_encode(ip_address)},"nonce":'
    encoded: dict[str, str] = {}
    digests = []
    for nonce, summary in zip(nonces, summaries, strict=True):
        text = encoded.get(summary)
        if text is None:
            text = encoded[summary] = _encode(summary)
        digests.append(_sha256(f'{head}{_encode(nonce)},"summary":{text}}}'.encode()))
    return digests


def timestamp(value: dt.datetime) -> str:
    """A stored time as hashed: UTC, microseconds, whatever the database gave back."""
    if value.tzinfo is None:  # SQLite through Core: naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_digest(
    entry_id: int,
    created_at: dt.datetime,
    actor_id: int | None,
    action: Any,
    object_type: str,
    object_id: str | None,
    values_hash: str,
) -> str:
    action = action.value if isinstance(action, enum.Enum) else action
    return _sha256(canonical([entry_id, timestamp(created_at), actor_id, action, object_type, object_id, values_hash]))


def link(previous_hash: str, digest: str) -> str:
    return _sha256((previous_hash + digest).encode())
