"""Templates that people other than developers write (letter and notice templates), rendered with limits,
and checked before they are saved on made-up records (``check_before_saving``).

Jinja's ``SandboxedEnvironment`` stops a template from reaching outside the values it is given, but
not from running for ever or building a gigabyte string: ``{% for a in range(99999) %}{% for b in
range(99999) %}{% endfor %}{% endfor %}`` holds a worker for minutes. ``LimitedSandbox`` adds, for
each render:

- a wall-clock deadline, checked cooperatively (every loop iteration, function call, attribute
  lookup, operator and chunk of output), so it works in any thread: a threaded gunicorn worker or
  a Celery worker, where ``signal.alarm`` is not available;
- a budget of loop iterations: every ``{% for %}`` iterates through ``environment.checked_iter``,
  put there by rewriting the parsed template before it is compiled;
- a limit on the output and on anything that could build a large value in one step (``*``, ``**``,
  ``%`` and the ``format`` filter, ``str.format``, each with its widths and the values its fields
  write, and filter arguments such as ``center(10**9)``);
- only the filters, tests, globals and methods that have a size rule (``SizeRule``: see "Size rules"
  below), each measured before it runs where its result can be many times what it is given.

Exceeding a limit raises ``TemplateLimitExceeded``, a ``jinja2.TemplateError``.

Checking a template before it is saved renders it on every made-up record of its kind (two dozen for
some notices), each within those limits; the whole check has a budget of its own
(``CASEWORK_TEMPLATE_CHECK_SECONDS``, ``check_before_saving``), so a template slow on every record
cannot hold a worker for the sum of the renders.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import inspect
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter, SecurityError
from jinja2.utils import Cycler, _PassArg
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from casework.core.errors import InvalidInput
from casework.core.inputs import is_digits

R = TypeVar("R")
T = TypeVar("T")


class TemplateLimitExceeded(TemplateError):
    """The template ran too long, looped too often or produced too much."""


class CheckTookTooLong(TemplateLimitExceeded):
    """Checking the template on all its made-up records took longer than the whole check may
    (``CASEWORK_TEMPLATE_CHECK_SECONDS``), however quick each render was."""


@dataclass(frozen=True)
class _WholeCheck:
    """The budget of one ``check_before_saving``: every render in it stops at ``deadline``."""

    seconds: float
    deadline: float
    records: int

    def exceeded(self) -> CheckTookTooLong:
        return CheckTookTooLong(
            f"Checking the template on the {self.records} made-up records it must work with took longer "
            f"than {self.seconds:g} seconds in all, the most a check may take: make it quicker to fill in "
            "(check its loops)."
        )

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.exceeded()


@dataclass(frozen=True)
class Limits:
    #: Wall-clock seconds for one render.
    seconds: float = 2.0
    #: Loop iterations over the whole render (all loops together).
    iterations: int = 10_000
    #: Characters of output, and the largest value one operation may build.
    output: int = 200_000


DEFAULT_LIMITS = Limits()


class _Budget:
    __slots__ = ("deadline", "iterations", "limits", "whole")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.iterations = limits.iterations
        # Inside a check before saving, a render also stops when the whole check's time is up.
        whole = _WHOLE_CHECK.get()
        self.whole = whole if whole is not None and whole.deadline < self.deadline else None
        if self.whole is not None:
            self.deadline = self.whole.deadline

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            if self.whole is not None:
                raise self.whole.exceeded()
            raise TemplateLimitExceeded(
                f"The template took longer than {self.limits.seconds:g} seconds to fill in: check its loops."
            )

    def check_size(self, size: int) -> None:
        if size > self.limits.output:
            raise TemplateLimitExceeded(f"The template would produce more than {self.limits.output:,} characters.")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget", default=None)
_WHOLE_CHECK: contextvars.ContextVar[_WholeCheck | None] = contextvars.ContextVar("template_check", default=None)

#: A width and precision in a format string: ``%09999d``, ``{:>99999}``, ``%5.99999f``. Each part matches characters the
#: next cannot, so a failed match backs off one step at a time: a value typed as "{" and 20,000 colons,
#: passed to any filter, took the earlier pattern (``\{[^{}]*:[^{}]*?``) half a minute in C, where the
#: template's time limit cannot stop it.
#: A ``%`` conversion may name its value first (``%(a)99999s``), and either part may be ``*``: taken from
#: the arguments (``%*d``), which are then counted too. The mapping key's ``[^()]*`` stops at the next
#: parenthesis, so it cannot backtrack either.
_FORMAT_WIDTH = re.compile(r"(?:%(?:\([^()]*\))?[-+ #0]*|\{[^{}:]*:[^{}\d.]*)(\*|\d*)(?:\.(\*|\d+))?")
#: Digits beyond this are a width no budget allows (and ``int()`` refuses a number of over 4,300).
_WIDTH_DIGITS = 18


def _budget() -> _Budget | None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.check_time()
    return budget


def _check_format_string(budget: _Budget, text: str, arguments: Iterable[Any] = ()) -> None:
    """Refuse a format string whose widths and precisions, together, pass the size limit. Where a ``%``
    conversion takes some from its ``arguments`` (``%*d``), each of those counts as the largest whole
    number among them: which argument fills which is not looked for. (``str.format`` takes a nested
    field's width from an argument, its item or its attribute: ``_Measured`` checks each as it is filled.)"""
    # Widths and precisions together: one call of "{:.199000f}" repeated a thousand times would write
    # 199 MB before the size of its result could be looked at.
    total = 0
    from_arguments = 0
    for match in _FORMAT_WIDTH.finditer(text):
        for digits in filter(None, match.groups()):
            if digits == "*":
                from_arguments += 1
            else:
                total += int(digits) if len(digits) <= _WIDTH_DIGITS else budget.limits.output + 1
        budget.check_size(total)
    if from_arguments:
        # Each argument alone is checked (_check_argument); a thousand widths of 199,999 are not, together.
        numbers = [
            abs(item)
            for value in arguments
            for item in (value.values() if isinstance(value, dict) else (value,))
            if isinstance(item, int) and not isinstance(item, bool)
        ]
        budget.check_size(total + from_arguments * max(numbers, default=0))


#: A ``%`` conversion, its mapping key and its type (``%%`` is a literal per cent sign).
_PERCENT_CONVERSION = re.compile(r"%(?:\(([^()]*)\))?[-+ #0]*(?:\*|\d*)(?:\.(?:\*|\d*))?[hlL]?(.?)", re.DOTALL)


def _text_size(value: Any, conversion: str = "s") -> int:
    """At most how many characters ``value`` adds where one field writes it (its width apart): ``%r`` and
    ``%a`` write its ``repr``, in which ``ascii`` may spell one character with ten."""
    if isinstance(value, str) and conversion not in "ra":
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3 + 2  # its decimal digits and a sign, in any base or as a character
    if isinstance(value, float | Decimal):
        return 400  # 1e308 written out by %f, and its default precision
    try:
        text = repr(value) if conversion in "ra" else str(value)
    except Exception:  # the conversion itself fails alike: nothing is written
        return 0
    return len(text) * (10 if conversion == "a" else 1)


def _check_percent_arguments(budget: _Budget, text: str, right: Any) -> None:
    """Refuse ``text % right`` whose arguments, as many times as its conversions write them, pass the size
    limit: ``('%(a)s' * 60000) % {'a': summary}`` writes one 100,000-character value 60,000 times, in one
    call, before any limit could look at what it built. A tuple's items are each written once at most."""
    if "%" not in text:
        return
    conversions = [match.groups() for match in _PERCENT_CONVERSION.finditer(text) if match.group(2) != "%"]
    if isinstance(right, tuple):
        as_repr = "a" if any(conversion in ("r", "a") for _key, conversion in conversions) else "s"
        budget.check_size(sum(_text_size(item, as_repr) for item in right))
        return
    size = 0
    sizes: dict[tuple[str | None, str], int] = {}  # each value measured once, however often it is written
    for key, conversion in conversions:
        if (key, conversion) not in sizes:
            value = right.get(key) if key is not None and isinstance(right, Mapping) else right
            sizes[key, conversion] = _text_size(value, conversion)
        size += sizes[key, conversion]
        budget.check_size(size)


def _written_size(value: Any, seen: dict[int, int] | None = None) -> int:
    """At most how many characters ``str(value)`` writes, without writing it: a list may hold one long
    text many times over (``['x' * 199999] * 1000`` is a thousand references to one text, 200 MB once
    written out). Texts inside a container count four times, for their ``repr``'s escapes."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, list | tuple | set | frozenset | dict):
        return _text_size(value)
    seen = {} if seen is None else seen
    if id(value) in seen:
        return seen[id(value)]
    seen[id(value)] = 0  # a container inside itself is written as "[...]"
    items = [item for pair in value.items() for item in pair] if isinstance(value, dict) else list(value)
    size = 2 + sum(4 + (4 * len(item) if isinstance(item, str) else _written_size(item, seen)) for item in items)
    seen[id(value)] = size
    return size


def _replaced_size(text: str, old: Any, new: Any, count: Any) -> int:
    """The length of ``text.replace(old, new, count)``, worked out from ``text.count(old)``."""
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(len(new) - len(old), 0)


def _joined_size(separator: Any, items: Any) -> int:
    """The length of ``separator.join(items)``, ``items`` a list (the rule's ``listed`` makes an iterator
    one) or a text."""
    if isinstance(items, str):  # its characters
        return max(len(items) - 1, 0) * len(str(separator)) + len(items)
    if not isinstance(items, list | tuple):
        return 0
    return max(len(items) - 1, 0) * len(str(separator)) + sum(_written_size(item) for item in items)


def _check_argument(budget: _Budget, value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        budget.check_size(abs(value))
    elif isinstance(value, str):
        budget.check_size(len(value))
        if "%" in value or "{" in value:
            _check_format_string(budget, value)


# --- Size rules ---------------------------------------------------------------------------------------
#
# The limits are checked between operations, never inside one: a filter, a global or a text's method
# that builds a large value in one call has built it before anything can look. So the sandbox offers
# only what has a rule saying how big its result can be, known before it runs (an allowlist): a filter,
# test, global or method with no rule is not there (a filter Jinja adds in a new release, a method
# Python adds to ``str``). ``tests/core/test_template_size_rules.py`` walks everything the sandbox
# offers and fails on anything without one.

#: A measure: given the budget, the value a filter is applied to (or the object whose method is
#: called) and every argument by its parameter's name, refuse the call if its result would pass the
#: size limit. Parameters without a signature (``dict.update``) come as ``args`` and ``kwargs``.
Measure = Callable[[_Budget, Any, Mapping[str, Any]], None]


@dataclass(frozen=True)
class SizeRule:
    """How big the result of a filter, test, global or method can be. With a ``measure``, its size is
    worked out from the arguments and refused before the call; without one, ``why`` says why the result
    is never larger than what it is given (each under the limits) by more than a constant factor.
    ``listed`` names a parameter whose iterator (a generator, ``items|map('string')``) is made a list
    before the call, read once, so that it can be measured."""

    why: str
    measure: Measure | None = None
    listed: str | None = None


def bounded(why: str) -> SizeRule:
    """A rule for what never returns more than a constant factor of what it is given."""
    return SizeRule(why)


def _integer(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _padded(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``center``, ``ljust``, ``rjust``, ``zfill``: the text or the width, whichever is longer."""
    budget.check_size(max(len(value) if isinstance(value, str) else 0, _integer(params.get("width"))))


def _tabs_expanded(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """Each tab becomes ``tabsize`` spaces at most: ``('\\t' * 1000).expandtabs(10000)`` is 10 MB."""
    if isinstance(value, str):
        budget.check_size(len(value) + value.count("\t") * max(_integer(params.get("tabsize"), 8), 0))


#: What ``str.splitlines`` breaks a line on (``indent`` splits lines with it).
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _indented(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """Every line gets the indent (``blank`` or not, a line of one letter is not blank)."""
    if not isinstance(value, str):
        return
    width = params.get("width")
    indent = len(width) if isinstance(width, str) else max(_integer(width), 0)
    lines = sum(value.count(mark) for mark in _LINE_BREAKS) + 1
    budget.check_size(len(value) + lines * indent)


def _text_replaced(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    if isinstance(value, str):
        budget.check_size(_replaced_size(value, params.get("old"), params.get("new"), params.get("count")))


def _items_joined(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """The ``join`` filter: its items (or, joined by an attribute, the items whole, which hold it)."""
    budget.check_size(_joined_size(params.get("d", ""), value))


def _joining(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``separator.join(items)``."""
    budget.check_size(_joined_size(value, params.get("iterable")))


def _wrapped(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    width = params.get("width")
    wrapstring = params.get("wrapstring") or "\n"
    if isinstance(value, str) and isinstance(width, int) and isinstance(wrapstring, str):
        budget.check_size(len(value) + (len(value) // max(width, 1) + 1) * len(wrapstring))


def _written_out(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """What writes its value out whole (``string``, ``pprint``, ``urlencode``, ``xmlattr``): a list may
    hold one long text a thousand times."""
    budget.check_size(_written_size(value))


def _json_lines(value: Any, seen: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """How many lines ``tojson`` with an indent writes for ``value``, and how deep it nests."""
    if not isinstance(value, list | tuple | dict):
        return 1, 0
    if id(value) in seen:
        return seen[id(value)]
    seen[id(value)] = (1, 0)  # a container inside itself cannot be written as JSON
    items = list(value.values()) if isinstance(value, dict) else list(value)
    inner = [_json_lines(item, seen) for item in items]
    found = (2 + sum(lines for lines, _depth in inner), 1 + max((depth for _lines, depth in inner), default=0))
    seen[id(value)] = found
    return found


def _as_json(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``tojson``: the value written out, and with an indent each line indented as deep as it nests
    (``([1] * 1000)|tojson(indent=10000)`` is 10 MB)."""
    size = _written_size(value)
    indent = max(_integer(params.get("indent")), 0)
    if indent:
        lines, depth = _json_lines(value, {})
        size += lines * depth * indent
    budget.check_size(size)


def _parts(attribute: Any) -> list[Any]:
    return [int(part) if is_digits(part) else part for part in str(attribute).split(".")]


def _attribute_values(items: Iterable[Any], attribute: Any) -> list[Any]:
    """The values an ``attribute=`` argument picks from each item (dotted, as Jinja's), where the items
    are dicts and lists; anything else counts as nothing."""
    if attribute is None:
        return list(items)
    picked = []
    for item in items:
        for part in _parts(attribute):
            try:
                item = item[part] if isinstance(item, Mapping | list | tuple) else None
            except (LookupError, TypeError):
                item = None
        picked.append(item)
    return picked


def _keys_size(keys: Iterable[Any]) -> int:
    return sum(len(key) for key in keys if isinstance(key, str))


def _sort_keys(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``sort``, ``groupby``: without ``case_sensitive`` each key is a lower-case copy of its text, all
    held until the sort ends (a list of a thousand references to one long text makes a thousand
    copies)."""
    if params.get("case_sensitive") or not isinstance(value, list | tuple):
        return
    budget.check_size(_keys_size(_attribute_values(value, params.get("attribute"))))


def _dict_sort_keys(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    if params.get("case_sensitive") or not isinstance(value, Mapping):
        return
    budget.check_size(_keys_size(value.values() if params.get("by") == "value" else value.keys()))


def _summed(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``sum`` of lists (``start=[]``) makes a new list at each item, each as long as all before it: the
    work is counted, item by item, as the references it copies."""
    start = params.get("start", 0)
    if not isinstance(start, list | tuple) or not isinstance(value, list | tuple):
        return  # numbers, each sum a little longer than its largest; anything else fails as it would
    running = len(start)
    copied = 0
    for item in _attribute_values(value, params.get("attribute")):
        running += len(item) if isinstance(item, list | tuple) else 1
        copied += running
        budget.check_size(copied)


def _filled(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``batch`` and ``slice``: their items and, with ``fill_with``, that many references more."""
    budget.check_size(_integer(params.get("linecount", params.get("slices"))))


#: Characters ``urlize`` adds to a word at most, besides the word twice escaped and its attributes.
_LINK_MARKUP = 60


def _linked(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``urlize``: each word may become a link that writes it twice (escaped: six times for a quote)
    with ``target`` and ``rel`` on every one (``('a.com ' * 1000)|urlize(target='x' * 10000)``)."""
    if not isinstance(value, str):
        return
    words = sum(value.count(space) for space in " \t\n\r\x0b\x0c") + 1
    extra = sum(len(params.get(name) or "") for name in ("target", "rel")) + _LINK_MARKUP
    budget.check_size(12 * len(value) + words * extra)


def _translated(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``str.translate``: each character may become the longest text its table maps one to."""
    table = params.get("table")
    if isinstance(value, str) and isinstance(table, Mapping):
        longest = max((len(new) for new in table.values() if isinstance(new, str)), default=1)
        budget.check_size(len(value) * max(longest, 1))


#: Characters one ``strftime`` directive writes for each character it is spelt with, at most (``%c``,
#: ``Sat Dec  5 20:57:28 2026``, is twelve a character).
_STRFTIME_GROWTH = 16


def _strftime(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    fmt = params.get("format", (*params.get("args", ()), None)[0])  # the method has no signature
    if isinstance(fmt, str):
        budget.check_size(len(fmt) * _STRFTIME_GROWTH)


def _extended(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """``list.extend``: a list that extends itself doubles at each step, a billion references in 30."""
    items = params.get("iterable")
    if isinstance(value, list) and isinstance(items, list | tuple):
        budget.check_size(len(value) + len(items))


def _updated(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    if isinstance(value, dict):
        others = [other for other in params.get("args", ()) if isinstance(other, Mapping | list | tuple)]
        budget.check_size(len(value) + sum(len(other) for other in others) + len(params.get("kwargs", {})))


def _formatted(budget: _Budget, value: Any, params: Mapping[str, Any]) -> None:
    """The ``format`` filter is ``value % (kwargs or args)``: its widths from the arguments and the
    arguments it writes, as the ``%`` operator's (``LimitedSandbox.call_binop``)."""
    if isinstance(value, str):
        kwargs, args = params.get("kwargs") or {}, tuple(params.get("args") or ())
        right: Any = kwargs or args
        _check_format_string(budget, value, right.values() if kwargs else right)
        _check_percent_arguments(budget, value, right)


_A_YES_OR_NO = bounded("a yes or no")
_ONE_OF_ITS_ITEMS = bounded("one of the values it is given, or a number")
_A_NUMBER = bounded("a number")
_CASE_CHANGED = bounded("its text, each character changed into three at most (Unicode case mappings)")
_SOME_OF_ITS_ITEMS = bounded("its items or some of them, in another order or lazily, each a reference")
_ESCAPED = bounded("its text with each character escaped: six characters at most")

#: Every filter a template may use, by name, and how big its result can be.
FILTER_RULES: dict[str, SizeRule] = {
    "abs": _A_NUMBER,
    "attr": _ONE_OF_ITS_ITEMS,
    "batch": SizeRule("its items, and linecount references to fill_with more", _filled),
    "capitalize": _CASE_CHANGED,
    "center": SizeRule("the text or the width, whichever is longer", _padded),
    "count": _A_NUMBER,
    "d": _ONE_OF_ITS_ITEMS,
    "default": _ONE_OF_ITS_ITEMS,
    "dictsort": SizeRule("its items as pairs; unless case_sensitive, a lower-case copy of each key", _dict_sort_keys),
    "e": _ESCAPED,
    "escape": _ESCAPED,
    "filesizeformat": bounded("a number and a unit"),
    "first": _ONE_OF_ITS_ITEMS,
    "float": _A_NUMBER,
    "forceescape": _ESCAPED,
    "format": SizeRule("its widths and what its fields write", _formatted),
    "groupby": SizeRule(
        "its items in groups; unless case_sensitive, a lower-case copy of each key", _sort_keys, listed="value"
    ),
    "indent": SizeRule("the text and the indent on each line", _indented),
    "int": _A_NUMBER,
    "items": _SOME_OF_ITS_ITEMS,
    "join": SizeRule("its items written out and a separator between each two", _items_joined, listed="value"),
    "last": _ONE_OF_ITS_ITEMS,
    "length": _A_NUMBER,
    "list": _SOME_OF_ITS_ITEMS,
    "lower": _CASE_CHANGED,
    "map": bounded("its items, each through a filter or an attribute that has its own rule"),
    "max": _ONE_OF_ITS_ITEMS,
    "min": _ONE_OF_ITS_ITEMS,
    "pprint": SizeRule("its value written out", _written_out),
    "random": _ONE_OF_ITS_ITEMS,
    "reject": _SOME_OF_ITS_ITEMS,
    "rejectattr": _SOME_OF_ITS_ITEMS,
    "replace": SizeRule("the text with each replacement counted", _text_replaced),
    "reverse": _SOME_OF_ITS_ITEMS,
    "round": _A_NUMBER,
    "safe": bounded("its text, marked safe"),
    "select": _SOME_OF_ITS_ITEMS,
    "selectattr": _SOME_OF_ITS_ITEMS,
    "slice": SizeRule("its items in slices, and one reference to fill_with more for each", _filled),
    "sort": SizeRule("its items; unless case_sensitive, a lower-case copy of each key", _sort_keys, listed="value"),
    "string": SizeRule("its value written out", _written_out),
    "striptags": bounded("its text, shorter"),
    "sum": SizeRule("a number; a sum of lists counted as the references it copies", _summed, listed="iterable"),
    "title": _CASE_CHANGED,
    "tojson": SizeRule("its value written out, and indented as deep as it nests", _as_json),
    "trim": bounded("its text, shorter"),
    "truncate": bounded("its text, or length characters and end"),
    "unique": bounded("its distinct items; a lower-case copy of each distinct key"),
    "upper": _CASE_CHANGED,
    "urlencode": SizeRule("its value written out, each character as twelve at most", _written_out, listed="value"),
    "urlize": SizeRule("its text with each word a link, target and rel on each", _linked),
    "wordcount": _A_NUMBER,
    "wordwrap": SizeRule("the text and a wrapstring for each width of it", _wrapped),
    "xmlattr": SizeRule("its items written out, escaped", _written_out),
}

#: Every test a template may use: a test only ever answers yes or no.
TEST_RULES: dict[str, SizeRule] = dict.fromkeys(
    (
        *("!=", "<", "<=", "==", ">", ">=", "eq", "equalto", "ge", "greaterthan", "gt", "le", "lessthan"),
        *("lt", "ne", "boolean", "callable", "defined", "divisibleby", "escaped", "even", "false", "filter"),
        *("float", "in", "integer", "iterable", "lower", "mapping", "none", "number", "odd", "sameas"),
        *("sequence", "string", "test", "true", "undefined", "upper"),
    ),
    _A_YES_OR_NO,
)

#: Every global a template may call. (Jinja's ``lipsum`` has no rule: it built its whole text in one
#: call, about 600 characters a paragraph, and ``lipsum(150000)`` held a worker for a minute.)
GLOBAL_RULES: dict[str, SizeRule] = {
    "range": bounded("made as it is read, and at most 100,000 numbers (the sandbox's MAX_RANGE)"),
    "dict": bounded("a dict of the arguments it is given"),
    "namespace": bounded("a namespace of the arguments it is given"),
    "cycler": bounded("one of the values it is given, each time"),
    "joiner": bounded("its separator"),
}

_STR_BOUNDED = bounded("a part of its text, a number, a yes or no, or its text with each character changed")
_STR_METHOD_RULES: dict[str, SizeRule] = {
    **dict.fromkeys(
        (
            *("count", "endswith", "find", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit"),
            *("isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "lstrip"),
            *("partition", "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip"),
            *("split", "splitlines", "startswith", "strip"),
        ),
        _STR_BOUNDED,
    ),
    **dict.fromkeys(("capitalize", "casefold", "lower", "swapcase", "title", "upper"), _CASE_CHANGED),
    "maketrans": bounded("a table of the arguments it is given"),
    "center": SizeRule("the text or the width, whichever is longer", _padded),
    "ljust": SizeRule("the text or the width, whichever is longer", _padded),
    "rjust": SizeRule("the text or the width, whichever is longer", _padded),
    "zfill": SizeRule("the text or the width, whichever is longer", _padded),
    "expandtabs": SizeRule("the text and tabsize spaces for each tab", _tabs_expanded),
    "join": SizeRule("the items written out and the text between each two", _joining, listed="iterable"),
    "replace": SizeRule("the text with each replacement counted", _text_replaced),
    "translate": SizeRule("each character as the longest text the table maps one to", _translated),
    # Looked up through LimitedSandbox.wrap_str_format, never as they are: their formatter measures each
    # field as it is filled.
    "format": bounded("measured field by field as it is filled (_Measured)"),
    "format_map": bounded("measured field by field as it is filled (_Measured)"),
}
_MARKUP_METHOD_RULES: dict[str, SizeRule] = {
    "escape": _ESCAPED,
    "striptags": bounded("its text, shorter"),
    "unescape": bounded("its text, shorter"),
}
_SEQUENCE_BOUNDED = bounded("one of its items, a number, or a change that adds one reference at most")
_LIST_METHOD_RULES: dict[str, SizeRule] = {
    **dict.fromkeys(
        ("append", "clear", "count", "index", "insert", "pop", "remove", "reverse", "sort"), _SEQUENCE_BOUNDED
    ),
    "copy": bounded("a list as long as itself"),
    "extend": SizeRule("itself and the items it is given", _extended, listed="iterable"),
}
_DICT_METHOD_RULES: dict[str, SizeRule] = {
    **dict.fromkeys(("clear", "get", "pop", "popitem", "setdefault"), _SEQUENCE_BOUNDED),
    **dict.fromkeys(("items", "keys", "values"), _SOME_OF_ITS_ITEMS),
    "copy": bounded("a dict as large as itself"),
    "fromkeys": bounded("a dict of the keys it is given"),
    "update": SizeRule("itself and the items it is given", _updated),
}
_DATE_METHOD_RULES: dict[str, SizeRule] = {
    **{
        name: bounded("a date, a time, a number or a short text")
        for name in (
            *("ctime", "isocalendar", "isoformat", "isoweekday", "replace", "timetuple", "toordinal", "weekday"),
            *("today", "fromisoformat", "fromordinal", "fromtimestamp", "fromisocalendar"),
        )
    },
    "strftime": SizeRule(f"{_STRFTIME_GROWTH} characters for each of its format's", _strftime),
}
_DATETIME_METHOD_RULES: dict[str, SizeRule] = {
    name: bounded("a date, a time, a number or a short text")
    for name in (
        *("astimezone", "date", "dst", "now", "time", "timestamp", "timetz", "tzname", "utcoffset"),
        *("utctimetuple", "combine", "strptime"),
    )
}
_NUMBER_BOUNDED = bounded("a number")

#: For the project's own date filters (``format_date``, ``format_datetime``): a few dozen characters.
A_DATE_IN_WORDS = bounded("a date, or a date and a time, in words")

#: Every method a template may call, by the class it is looked up on (through the object's classes, so
#: ``Markup`` has ``str``'s and a ``datetime`` a ``date``'s). A method with no rule is unsafe to the
#: sandbox (``LimitedSandbox.is_safe_attribute``): ``str.encode``, a generator's ``send``.
METHOD_RULES: dict[type, dict[str, SizeRule]] = {
    Markup: _MARKUP_METHOD_RULES,
    str: _STR_METHOD_RULES,
    list: _LIST_METHOD_RULES,
    tuple: {"count": _SEQUENCE_BOUNDED, "index": _SEQUENCE_BOUNDED},
    range: {"count": _SEQUENCE_BOUNDED, "index": _SEQUENCE_BOUNDED},
    dict: _DICT_METHOD_RULES,
    datetime: _DATETIME_METHOD_RULES,
    date: _DATE_METHOD_RULES,
    int: dict.fromkeys(("bit_count", "bit_length", "conjugate", "as_integer_ratio"), _NUMBER_BOUNDED),
    float: dict.fromkeys(("as_integer_ratio", "conjugate", "hex", "is_integer"), _NUMBER_BOUNDED),
    Decimal: dict.fromkeys(
        ("adjusted", "copy_abs", "copy_negate", "is_finite", "is_nan", "is_signed", "is_zero"), _NUMBER_BOUNDED
    ),
    LoopContext: {"cycle": _ONE_OF_ITS_ITEMS, "changed": _A_YES_OR_NO},
    Cycler: {"next": _ONE_OF_ITS_ITEMS, "reset": _A_NUMBER},
}


def method_rule(owner: Any, name: str) -> tuple[type, SizeRule] | None:
    """The rule for the method ``name`` of ``owner`` (an object, or a class for its class methods), and
    the class that has it (whose method's parameters the rule's measure reads: ``Markup.join`` takes
    ``str.join``'s)."""
    for cls in (owner if isinstance(owner, type) else type(owner)).__mro__:
        rules = METHOD_RULES.get(cls)
        if rules is not None and name in rules:
            return cls, rules[name]
    return None


def is_method(obj: Any, attr: str, value: Any) -> bool:
    """Whether ``value``, ``obj``'s attribute ``attr``, is a method (which needs a size rule)."""
    return inspect.isroutine(value) and hasattr(type(obj), attr)


@functools.lru_cache(maxsize=512)
def _signature(fn: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have none (dict.update)
        return None


def _measured_call(
    budget: _Budget, rule: SizeRule, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], value_at: int
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Measure ``fn(*args, **kwargs)`` by ``rule`` before it runs; the arguments to call it with (a
    ``listed`` iterable made a list). ``args[value_at]`` is the value (after a ``pass_context``'s
    context) or the object whose method it is."""
    if rule.measure is None and rule.listed is None:
        return args, kwargs
    signature = _signature(fn)
    if signature is None:
        if rule.measure is not None and len(args) > value_at:
            rule.measure(budget, args[value_at], {"args": args[value_at + 1 :], "kwargs": kwargs})
        return args, kwargs
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return args, kwargs  # the call itself says what is wrong
    bound.apply_defaults()
    listed = bound.arguments.get(rule.listed) if rule.listed else None
    if isinstance(listed, Iterable) and not isinstance(listed, list | tuple | Mapping | str):
        bound.arguments[cast(str, rule.listed)] = list(listed)  # read once: measured, then used
    if rule.measure is not None:
        parameters = list(bound.arguments)
        if len(parameters) > value_at:
            rule.measure(budget, bound.arguments[parameters[value_at]], bound.arguments)
    return tuple(bound.args), dict(bound.kwargs)


def _guard_filter(fn: Any, rule: SizeRule) -> Any:
    value_at = 0 if _PassArg.from_obj(fn) is None else 1

    @functools.wraps(fn)  # keeps Jinja's pass_context/pass_environment marks (in __dict__)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        if budget is not None:
            for value in (*args, *kwargs.values()):
                _check_argument(budget, value)
            args, kwargs = _measured_call(budget, rule, fn, args, kwargs, value_at)
        result = fn(*args, **kwargs)
        if budget is not None and isinstance(result, str):
            budget.check_size(len(result))
        return result

    guarded.size_rule = rule  # type: ignore[attr-defined]
    return guarded


class _Measured:
    """``str.format`` in a limited render: each field's width is checked once its spec is whole (a nested
    field filled in, as ``{:{}}``, ``{0:{1[0]}}`` or ``{a:{b.c}}`` have theirs), and what the fields
    have written so far is counted as each is formatted, so the text is refused before it is joined.
    Counting widths in the format string alone cannot see a width an argument's item or attribute
    gives, nor one long value written by each of 60,000 fields (``('{0}' * 60000).format(summary)``)."""

    def vformat(self, format_string: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
        self._written = 0
        text: str = super().vformat(format_string, args, kwargs)  # type: ignore[misc]
        return text

    def format_field(self, value: Any, format_spec: str) -> Any:
        budget = _BUDGET.get()
        if budget is not None:
            budget.check_time()
            if format_spec:
                _check_format_string(budget, "{:" + format_spec + "}")
        text = super().format_field(value, format_spec)  # type: ignore[misc]
        if budget is not None:
            self._written += len(text)
            budget.check_size(self._written)
        return text


class _MeasuredFormatter(_Measured, SandboxedFormatter):
    pass


class _MeasuredEscapeFormatter(_Measured, SandboxedEscapeFormatter):
    pass


def _measured_output(value: Any) -> Any:
    """Each ``{{ value }}`` before it is written: a container counted as ``_written_size`` counts it."""
    budget = _BUDGET.get()
    if budget is not None and isinstance(value, list | tuple | set | frozenset | dict):
        budget.check_size(_written_size(value))
    return value


class _MeasuredConcat(NodeTransformer):
    """Every ``~`` joins through ``LimitedSandbox.checked_concat``, given the context for its autoescaping."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = cast(nodes.Concat, self.generic_visit(node))
        return nodes.Call(
            nodes.EnvironmentAttribute("checked_concat", lineno=node.lineno),
            [nodes.ContextReference(lineno=node.lineno), *node.nodes],
            [],
            None,
            None,
            lineno=node.lineno,
        )


class LimitedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Only what has a size rule (FILTER_RULES, TEST_RULES, GLOBAL_RULES): anything else, a filter a
        # new Jinja adds among them, is not there, and a template that uses it is refused.
        self.filters = {
            name: _guard_filter(fn, FILTER_RULES[name]) for name, fn in self.filters.items() if name in FILTER_RULES
        }
        self.tests = {name: fn for name, fn in self.tests.items() if name in TEST_RULES}
        self.globals = {name: value for name, value in self.globals.items() if name in GLOBAL_RULES}
        # {{ value }} writes str(value) before the output's limit sees it: a list is measured first.
        self.finalize = _measured_output
        # Compiling is most of a render's cost (bench/limits_bench.py): keep the recent templates.
        # A compiled Template is safe to render from several threads at once.
        self.compiled = functools.lru_cache(maxsize=256)(self.from_string)

    def add_filter(self, name: str, fn: Any, rule: SizeRule) -> None:
        """Offer ``fn`` as the filter ``name``, with the rule that bounds what it returns."""
        self.filters[name] = _guard_filter(fn, rule)

    # Every {% for %} iterates through checked_iter.
    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("checked_iter", lineno=loop.lineno),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
        return cast(nodes.Template, _MeasuredConcat().visit(tree))

    def concat(self, parts: Iterable[str]) -> str:
        """What a macro, a ``{% set %}...{% endset %}`` block, a ``{% filter %}`` block or a ``caller()``
        wrote, joined (the compiled template's ``concat``), its length counted first: each part was
        under the limit, but a loop of 10,000 writing one long value makes 10,000 references to it,
        2 GB once joined in one call, before the output's limit sees the macro's result."""
        parts = list(parts)
        budget = _BUDGET.get()
        if budget is not None:
            budget.check_size(sum(len(part) for part in parts))
        return "".join(parts)

    def checked_concat(self, context: Context, *parts: Any) -> str:
        """``a ~ b``, its length counted before it is joined (each part is the output's size at most,
        but a template that doubles a value, ``{% set s = s ~ s %}``, passes any limit in 20 steps)."""
        budget = _BUDGET.get()
        if budget is not None:
            budget.check_size(sum(_written_size(part) for part in parts))
        return (markup_join if context.eval_ctx.autoescape else str_join)(parts)

    def checked_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        budget = _BUDGET.get()
        for item in iterable:
            if budget is not None:
                budget.check_time()
                budget.iterations -= 1
                if budget.iterations < 0:
                    raise TemplateLimitExceeded(
                        f"The template's loops ran more than {budget.limits.iterations:,} times in all."
                    )
            yield item

    def is_safe_callable(self, obj: Any) -> bool:
        return obj is not None and super().is_safe_callable(obj)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Jinja's ``str.format`` and ``format_map`` for a template (put in where the method is looked
        up, so however it is then called), formatting through ``_Measured``: as Jinja 3.1's own, whose
        formatter cannot be swapped from outside."""
        if super().wrap_str_format(value) is None:
            return None
        text: str = value.__self__
        formatter = (
            _MeasuredEscapeFormatter(self, escape=text.escape) if isinstance(text, Markup) else _MeasuredFormatter(self)
        )
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            return type(text)(formatter.vformat(text, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        if budget is not None:
            # str.format arrives wrapped by the sandbox; its format string is the bound self.
            target = getattr(__obj, "__wrapped__", __obj)
            if isinstance(getattr(target, "__self__", None), str) and getattr(target, "__name__", "") in {
                "format",
                "format_map",
            }:
                _check_format_string(budget, target.__self__, (*args, *kwargs.values()))
            for value in (*args, *kwargs.values()):
                _check_argument(budget, value)
            owner = getattr(target, "__self__", None)
            found = method_rule(owner, getattr(target, "__name__", "")) if owner is not None else None
            if found is not None and not isinstance(owner, type):
                cls, rule = found
                # Measured by the parameters of the class's own method, its object first; without the
                # names Jinja passes inside a loop or a block (Context.call takes them out).
                scope: dict[str, Any] = {n: kwargs.pop(n) for n in ("_loop_vars", "_block_vars") if n in kwargs}
                called, kwargs = _measured_call(budget, rule, getattr(cls, target.__name__), (owner, *args), kwargs, 0)
                args, kwargs = called[1:], {**kwargs, **scope}
        return super().call(__context, __obj, *args, **kwargs)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """A method is offered only if it has a size rule (``METHOD_RULES``). A method is a function its
        object's class defines; a value kept in an attribute (a macro in a namespace, ``loop.nextitem``)
        is not one."""
        if not super().is_safe_attribute(obj, attr, value):
            return False
        return method_rule(obj, attr) is not None if is_method(obj, attr, value) else True

    def getattr(self, obj: Any, attribute: str) -> Any:
        _budget()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _budget()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        if budget is not None:
            if operator == "+":
                # Each operand is the output's size at most, but a template that doubles a value
                # ({% set s = s + s %}) passes any limit in 20 steps, each one operation.
                if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                    budget.check_size(len(left) + len(right))
            elif operator == "*":
                for sequence, times in ((left, right), (right, left)):
                    if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                        budget.check_size(len(sequence) * times)
                if isinstance(left, int) and isinstance(right, int):
                    budget.check_size((left.bit_length() + right.bit_length()) // 8)
            elif operator == "**":
                if isinstance(left, int) and isinstance(right, int) and right > 0:
                    budget.check_size(max(left.bit_length(), 1) * right // 8)
            elif operator == "%" and isinstance(left, str):
                _check_format_string(budget, left, right if isinstance(right, tuple) else (right,))
                _check_percent_arguments(budget, left, right)
        return super().call_binop(context, operator, left, right)

    def render_limited(self, source: str, context: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> str:
        """Render ``source`` with ``context`` inside the limits (raises ``TemplateLimitExceeded``)."""
        budget = _Budget(limits)
        token = _BUDGET.set(budget)
        try:
            template = self.compiled(source)
            size = 0
            chunks = []
            for chunk in template.generate(dict(context)):
                size += len(chunk)
                budget.check_size(size)
                budget.check_time()
                chunks.append(chunk)
            return "".join(chunks)
        finally:
            _BUDGET.reset(token)


def error_line(error: BaseException) -> int | None:
    """The template line an error was raised on, without its message (which may quote the data)."""
    line = getattr(error, "lineno", None)
    if line:
        return int(line)
    traceback = error.__traceback__
    found = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            found = traceback.tb_lineno
        traceback = traceback.tb_next
    return found


class TemplateRenderFailed(TemplateError):
    """A template raised something other than a template error (``{{ 1 / 0 }}``, a bad filter
    argument): wrapped so callers handle one kind of failure; the original is the ``__cause__``."""


def render_checked(env: LimitedSandbox, source: str, context: Mapping[str, Any], limits: Limits) -> str:
    """Render an admin's template with limits; every failure is a ``jinja2.TemplateError``. The
    context holds plain values only (``plain_values``)."""
    plain_values(context)
    try:
        return env.render_limited(source, context, limits)
    except TemplateError:
        raise
    except RecursionError as error:
        raise TemplateLimitExceeded("The template calls itself too deeply.") from error
    except Exception as error:  # any failure of an admin's template is the template's
        raise TemplateRenderFailed(f"{type(error).__name__}: {error}") from error


def describe_failure(error: BaseException, used_in: str | None = None) -> str:
    """What went wrong, in words that never quote the data the template was filled in with (an
    error message can: "'str object' has no element 'Jane Smith'"). ``used_in`` names what the
    template makes ("letters"), for "it uses something letters may not use"."""
    if isinstance(error, TemplateLimitExceeded):
        problem = str(error).rstrip(".")
    elif isinstance(error, UndefinedError):
        problem = "it uses a value that is missing or empty"
    elif isinstance(error, SecurityError):
        problem = f"it uses something {used_in} may not use" if used_in else "it uses something that may not be used"
    elif isinstance(error.__cause__, TypeError | ValueError | ArithmeticError):
        problem = "it uses a value in a way that does not suit it (for example a sum with a date)"
    else:
        problem = "it cannot be filled in"
    line = error_line(error.__cause__ or error) if error.__cause__ is not None else error_line(error)
    return f"{problem} (line {line})" if line else problem


def template_in_force(model: type[T], kind: Any, area_id: int | None) -> T | None:
    """The admin's template row in force for ``kind`` in an area: the area's own row, else the row for
    every area (``area_id`` null), else None (the default shipped in code applies). ``model`` has
    ``kind`` and ``area_id`` columns (``LetterTemplate``, ``NoticeTemplate``)."""
    from casework.extensions import db

    table: Any = model
    rows = db.session.scalars(
        sa.select(model).where(table.kind == kind, sa.or_(table.area_id == area_id, table.area_id.is_(None)))
    ).all()
    return min(rows, key=lambda row: getattr(row, "area_id", None) is None, default=None)


def save_admin_template(
    actor: Any, row: T | None, make_row: Callable[[], T], values: Mapping[str, str], *, description: str
) -> T:
    """Write an admin's template (letters, notices, the watch's message) over ``row``, or a new row from
    ``make_row()`` when there is none, and record the change with its before and after (``description``
    names the template). The caller checks it first (``check_before_saving``)."""
    from casework.audit.services import record_change, snapshot
    from casework.extensions import db

    fields = list(values)
    before = snapshot(row, fields) if row is not None else None
    if row is None:
        row = make_row()
        db.session.add(row)
    changed: Any = row
    for field, value in values.items():
        setattr(changed, field, value)
    changed.updated_by_id = actor.id
    db.session.flush()
    record_change(actor, row, before, snapshot(row, fields), description)
    return row


def render_document(
    env: LimitedSandbox,
    heading: str,
    body: str,
    context: Mapping[str, Any],
    heading_limits: Limits,
    body_limits: Limits,
) -> tuple[str, str]:
    """A letter's or notice's heading (subject or title) and body, rendered with limits. The heading
    becomes one line; trailing spaces go, and a paragraph left out leaves one blank line, not three."""
    rendered_heading = " ".join(render_checked(env, heading, context, heading_limits).split())
    rendered_body = render_checked(env, body, context, body_limits)
    # Line by line, not re.sub(r"[ \t]+\n"): that pattern is tried again from each space of a long run,
    # so a value of 50,000 spaces took seconds.
    rendered_body = "\n".join(line.rstrip(" \t") for line in rendered_body.split("\n"))
    rendered_body = re.sub(r"\n{3,}", "\n\n", rendered_body).strip() + "\n"
    return rendered_heading, rendered_body


#: What a template may be given: plain values, never a model instance (whose relationships and
#: session would reach records the template's author may not see) or anything else with methods
#: beyond those of a string, a number or a date.
PLAIN_TYPES: tuple[type, ...] = (str, int, float, Decimal, bool, date, datetime, type(None))


def plain_values(context: Mapping[str, Any]) -> Mapping[str, Any]:
    """``context`` itself, once it is checked to hold only plain values (``PLAIN_TYPES``, in dicts,
    lists and tuples); TypeError otherwise (a programming error, not the template's)."""

    def check(value: Any, where: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                check(item, f"{where}.{key}")
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                check(item, f"{where}[{index}]")
        elif not isinstance(value, PLAIN_TYPES):
            raise TypeError(f"a template is given plain values only: {where} is a {type(value).__name__}")

    for key, value in context.items():
        check(value, key)
    return context


@dataclass(frozen=True)
class Sample:
    """A made-up record a template is tried on before it is saved: ``what`` it stands for, in words
    ("an application with no acknowledgement date"), and the values a template would be given for it."""

    what: str
    context: dict[str, Any]


def check_before_saving(
    env: LimitedSandbox,
    sources: Mapping[str, str],
    fill_in: Callable[[dict[str, Any]], R],
    samples: Sequence[Sample],
    *,
    used_in: str,
) -> R:
    """Refuse an admin's template that does not parse, reaches outside the sandbox, exceeds the
    limits or cannot be filled in with every one of the made-up ``samples``. Returns
    ``fill_in(samples[0].context)``, the preview.

    The samples are made up, never read from the database: the people who write templates configure
    the service and may not read casework, and a check on real records answers whatever the template
    asks of them (a template can fail on the line that matches the third letter of a real name). So
    what the check says depends on the template and the samples only. The samples stand for the
    shapes real records take (values left out, names with apostrophes and accents, long text, lists
    empty or long), so a template that would fail in real use is still refused.

    ``sources`` maps each form field to its template (``{"subject": ..., "body": ...}``): a syntax
    error is put on its field; other failures go on ``body``, saying which sample failed and how
    (``describe_failure``: never the rendered output).

    Each render has its own limits; the whole check, every sample together, has
    ``CASEWORK_TEMPLATE_CHECK_SECONDS`` (``check_seconds``): a render running when the time is up
    stops there, and the template is refused, saying so. The preview (a form posted without saving)
    is this same check, so it has the same budget.
    """
    seconds = check_seconds()
    token = _WHOLE_CHECK.set(_WholeCheck(seconds, time.monotonic() + seconds, len(samples)))
    try:
        return _check_samples(env, sources, fill_in, samples, used_in)
    except CheckTookTooLong as error:
        raise InvalidInput({"body": [str(error)]}) from error
    finally:
        _WHOLE_CHECK.reset(token)


def check_seconds() -> float:
    """The budget of one check before saving: ``CASEWORK_TEMPLATE_CHECK_SECONDS`` of the current app
    (outside one, a script's or a test's call, its default)."""
    from flask import current_app, has_app_context

    from casework.config import TEMPLATE_CHECK_SECONDS

    if not has_app_context():
        return TEMPLATE_CHECK_SECONDS
    return float(current_app.config["CASEWORK"]["TEMPLATE_CHECK_SECONDS"])


def _check_samples(
    env: LimitedSandbox,
    sources: Mapping[str, str],
    fill_in: Callable[[dict[str, Any]], R],
    samples: Sequence[Sample],
    used_in: str,
) -> R:
    whole = _WHOLE_CHECK.get()
    errors: dict[str, list[str]] = {}
    for field, source in sources.items():
        try:
            env.parse(source)
        except TemplateSyntaxError as error:
            errors[field] = [f"The template has a mistake on line {error.lineno}: {error.message}"]
    if errors:
        raise InvalidInput(errors)
    example, *others = samples
    try:
        preview = fill_in(copy.deepcopy(dict(plain_values(example.context))))
    except CheckTookTooLong:
        raise
    except SecurityError as error:
        raise InvalidInput({"body": [f"The template uses something {used_in} may not use: {error}"]}) from error
    except TemplateError as error:
        raise InvalidInput(
            {"body": [f"The template cannot be filled in with the example: {error.message or error}"]}
        ) from error
    for sample in others:
        if whole is not None:
            whole.check_time()
        try:
            # A copy: the sandbox lets a template change the lists and dicts it is given.
            fill_in(copy.deepcopy(dict(plain_values(sample.context))))
        except CheckTookTooLong:
            raise
        except TemplateError as error:
            problem = describe_failure(error, used_in)
            raise InvalidInput(
                {
                    "body": [
                        f"The template works with the example but not with {sample.what}, as real records "
                        f"can be: {problem}. Put {{% if ... %}} around values that can be left out."
                    ]
                }
            ) from error
    return preview
