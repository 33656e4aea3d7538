"""The settings this domain reads, registered by ``casework.accounts.init_app`` (``domain.settings``)."""

from __future__ import annotations

from casework.core.settings import SettingSpec, boolean

SECOND_FACTOR_REQUIRED = "accounts.second_factor_required"

SPECS = [
    SettingSpec(
        key=SECOND_FACTOR_REQUIRED,
        default=False,
        description=(
            "Managers, administrators and coordinators of agencies in this area must sign in with a code from "
            "an authenticator app as well as their password (those without one set it up when they next sign in)."
        ),
        group="Signing in",
        parse=boolean,
    ),
]
