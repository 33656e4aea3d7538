"""The settings this domain reads, registered with the per-area dated registry."""

from __future__ import annotations

from casework.core.settings import SettingSpec, boolean, register

SECOND_FACTOR_REQUIRED = "accounts.second_factor_required"

register(
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
)
