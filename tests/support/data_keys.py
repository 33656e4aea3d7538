"""Data keys for the tests of sealed secrets (``CASEWORK_DATA_KEY``): an old and a new key, made once for
the run, and an authenticator secret to seal with them."""

from __future__ import annotations

from casework.core import data_keys

OLD_KEY, NEW_KEY = data_keys.new_key(), data_keys.new_key()
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
