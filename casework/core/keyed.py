"""Digests keyed with the service's secret key, one purpose each: for values whose plain hash a list of
candidates would reverse (a six-digit code, an email address, a mobile number), kept where the key is
not (a database table, Redis). A change of the secret key changes every digest: what was keyed with the
old one no longer matches."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def keyed_digest(purpose: bytes, value: bytes) -> hmac.HMAC:
    """HMAC-SHA256 of ``purpose`` and ``value`` under the secret key; ``purpose`` (one per use, ending in
    a space) keeps one use's digests from matching another's."""
    return hmac.new(str(current_app.secret_key).encode(), purpose + value, hashlib.sha256)
