"""The settings the risk domain reads (registered by ``casework.risk.init_app``)."""

from __future__ import annotations

from casework.core.settings import SettingSpec, whole_number

SPECS = [
    SettingSpec(
        key=f"risk_review_days_{band}",
        default=default,
        description=f"Days to the next review of a {band} risk assessment (0: no review)",
        group="Risk assessment",
        parse=whole_number(0, 365),
    )
    for band, default in (("high", 14), ("medium", 28), ("standard", 0))
]
