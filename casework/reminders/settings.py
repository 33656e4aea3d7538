"""Settings the reminders read (registered by ``casework.reminders.init_app``)."""

from casework.core.settings import SettingSpec, whole_number

LEAD_WORKING_DAYS = "reminder_lead_working_days"


def _warn_lead(value: int) -> str | None:
    if value == 0:
        return "Owners will be reminded only on the day the work is due."
    return None


SPECS = [
    SettingSpec(
        key=LEAD_WORKING_DAYS,
        default=2,
        description="How many working days before a deadline its owner is reminded.",
        group="Reminders",
        parse=whole_number(0, 20),
        warn=_warn_lead,
    )
]
