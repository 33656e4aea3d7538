"""Per-area settings: what a setting is, and the settings the app's domains registered.

Each domain declares the settings it reads (threshold rules, timescales, statutory limits) as
``SettingSpec``s with a default, a parser that validates a new value, and an optional warning, and
registers them in its ``init_app`` (``domain.settings(*SPECS)``). Values are stored as dated rows
(``casework.accounts.models.AreaSetting``) so a rule change, such as the Crime and Policing Act 2026
limits, switches on by date and old decisions can still be explained by the rules then in force.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    #: What the setting is. Where ``label`` is given this is the longer explanation (what changes when
    #: it is switched on, and why), otherwise it doubles as the label.
    description: str
    group: str
    #: Validates and normalises a submitted value; raises ValueError with a message for people.
    parse: Callable[[Any], Any]
    #: Returns a warning for an allowed but discouraged value.
    warn: Callable[[Any], str | None] | None = None
    #: A short name for forms and for the document of the rules the service applies.
    label: str | None = None
    #: Where the rule comes from: the Act and section, the guidance, or "local practice".
    source: str | None = None
    #: For a setting that is one of a few values: (value, label) pairs, shown as radios.
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def title(self) -> str:
        """The name people read: the label, or the description where there is no label."""
        return self.label or self.description

    @property
    def explanation(self) -> str | None:
        """The longer description, where the spec has a separate label."""
        return self.description if self.label else None


def specs() -> dict[str, SettingSpec]:
    """The settings the current app's domains registered: key -> spec."""
    from casework.core.registry import registry

    return registry().settings


def defaults() -> dict[str, Any]:
    return {key: spec.default for key, spec in specs().items()}


# --- settings read together --------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingProblem:
    """A combination of values that can never take effect as meant (``refuse``: it is refused when
    saved) or that is lawful but works against itself (a warning). ``keys`` are the settings involved."""

    message: str
    keys: tuple[str, ...]
    refuse: bool = False


@dataclass(frozen=True)
class SettingsCheck:
    """A check of several settings read together, run when any of ``keys`` is saved, on every value
    that will be in force together from the day the change takes effect."""

    keys: frozenset[str]
    check: Callable[[dict[str, Any]], list[SettingProblem]]


def settings_checks() -> list[SettingsCheck]:
    """The checks the current app's domains registered (``domain.setting_checks(...)``)."""
    from casework.core.registry import registry

    return registry().setting_checks


def problems(values: dict[str, Any], changed: set[str]) -> list[SettingProblem]:
    """The problems of ``values`` (a complete set, as ``area_settings`` gives) found by the checks
    that read any of the ``changed`` settings."""
    found: list[SettingProblem] = []
    for entry in settings_checks():
        if entry.keys & changed:
            found.extend(entry.check(values))
    return found


# --- records dealt with under the settings of their day ------------------------------------------------


@dataclass(frozen=True)
class DatedRecord:
    """A record that was dealt with under the settings in force on its day (an application on the day
    it was received): a change back-dated to before that day must not change what applied to it."""

    area_id: int
    on: Any  # date
    #: How the refusal names it ("application BOL-CT-2026-0003").
    label: str


def dated_record_sources() -> list[Callable[[Any, set[str], Any], list[DatedRecord]]]:
    """``fn(area_ids, keys, effective_from)`` -> the records whose settings among ``keys`` were read on a
    day from ``effective_from`` until today, in those areas (``area_ids`` None: every area). Each domain
    that reads settings by the date of a record registers one in its ``init_app``
    (``domain.dated_records(fn)``)."""
    from casework.core.registry import registry

    return registry().dated_records


# --- parsers ----------------------------------------------------------------------------------------


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError("must be a whole number")
        try:
            number = int(value)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if number < minimum:
            raise ValueError(f"must be {minimum} or more")
        if maximum is not None and number > maximum:
            raise ValueError(f"must be {maximum} or less")
        return number

    return parse


def one_of(values: tuple[str, ...] | list[str]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in values:
            raise ValueError(f"must be one of {', '.join(values)}")
        return str(value)

    return parse


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


TIME_UNITS = ("working_days", "calendar_days", "hours")


def timescale(value: Any) -> dict[str, Any]:
    """``{"amount": 5, "unit": "working_days"}``."""
    if not isinstance(value, dict):
        raise ValueError('must be an object like {"amount": 5, "unit": "working_days"}')
    unit = value.get("unit")
    if unit not in TIME_UNITS:
        raise ValueError(f"unit must be one of {', '.join(TIME_UNITS)}")
    amount = whole_number(0, 10_000)(value.get("amount"))
    return {"amount": amount, "unit": unit}
