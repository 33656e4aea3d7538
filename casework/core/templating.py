"""Jinja set-up for the GOV.UK Design System: template loading, the /assets route, and page helpers.

Templates live in the top-level ``templates/`` folder (one folder per domain) and extend
``layouts/base.html`` or ``layouts/public.html``; the GOV.UK components come from govuk-frontend-jinja
as ``govuk_frontend_jinja/components/<name>/macro.html``. The precompiled GOV.UK Frontend CSS refers
to its fonts and images as ``/assets/...``; ``npm run build`` copies them to
``casework/static/govuk/assets``, served there by WhiteNoise (``casework/core/static.py``) with the rest
of the static files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections import ChainMap, OrderedDict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app
from flask.templating import Environment as FlaskEnvironment
from flask.templating import _default_template_ctx_processor
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader, Template
from jinja2.filters import do_indent, do_trim
from jinja2.runtime import Context, new_context
from markupsafe import Markup, escape

from casework.core.links import external_url
from casework.core.navigation import navigation_items
from casework.core.static import init_static
from casework.core.urls import url_for, url_with_query

TEMPLATES_FOLDER = Path(__file__).resolve().parents[2] / "templates"
GOVUK_ASSETS_FOLDER = Path(__file__).resolve().parents[1] / "static" / "govuk" / "assets"
LONDON = ZoneInfo("Europe/London")


class _Globals(ChainMap[str, Any]):
    """A template's globals (Jinja's ``ChainMap`` of its own and the environment's), with ``keys()`` a
    set. On every ``{% import %}`` and ``{% from ... import %}`` Jinja subtracts the imported
    template's global names from the importing one's; against a set that is one C call, against the
    ``ChainMap``'s key view it is a Python generator per name: a fifth of a page's function calls."""

    def keys(self) -> set[str]:  # type: ignore[override]
        own, environment = self.maps
        return own.keys() | environment.keys()

    def flat(self) -> dict[str, Any]:
        """The globals as one plain dict, as they are now (the environment's may change later)."""
        own, environment = self.maps
        return {**environment, **own}


class _Template(Template):
    """Jinja's template, with its globals given to each render as one plain dict.

    Each render (a page, a case page's section, an imported macro file's module) copies the globals
    into the new context, and again into a set of their names: from the ``ChainMap`` that is a
    Python call per global (about forty), from a dict two C calls. Built at each render, so a global
    added or changed later still shows, as with the ``ChainMap``."""

    globals: _Globals

    def new_context(
        self, vars: dict[str, Any] | None = None, shared: bool = False, locals: Mapping[str, Any] | None = None
    ) -> Context:
        globals_ = self.globals.flat() if isinstance(self.globals, _Globals) else self.globals
        return new_context(self.environment, self.name, self.blocks, vars, shared, globals_, locals)


class JinjaEnvironment(FlaskEnvironment):
    """Flask's Jinja environment, with ``_Globals`` and ``_Template``. Set as ``app.jinja_environment``
    by create_app."""

    template_class = _Template

    def __init__(self, app: Any, **options: Any) -> None:
        # Templates are kept in a plain dict rather than Jinja's LRU cache of 400: they are the
        # repository's files, a fixed number, and a page looks them up about thirty times (each
        # ``{% from %}`` in a GOV.UK macro, at every call), each time taking the LRU's lock and
        # moving the name along its queue. ``from_string`` templates are not kept either way.
        options.setdefault("cache_size", -1)
        super().__init__(app, **options)

    def make_globals(self, d: Any) -> Any:
        return _Globals(d or {}, self.globals)


#: Unicode's explicit direction controls: the embeddings and overrides (LRE, RLE, LRO, RLO), closed by
#: PDF, and the isolates (LRI, RLI, FSI), closed by PDI.
_OPENS_EMBEDDING = frozenset("\u202a\u202b\u202d\u202e")
_CLOSES_EMBEDDING = "\u202c"
_OPENS_ISOLATE = frozenset("\u2066\u2067\u2068")
_CLOSES_ISOLATE = "\u2069"
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def closed_directions(value: Any) -> Any:
    """A value as a template writes it (Jinja's ``finalize``), with every direction control it leaves
    open closed at its end.

    A right-to-left override typed into a name (``Eve\u202e``) reverses everything after it in its
    paragraph, the service's own words too: "Eve reported the incident of 25 November 2026 to Bolsover
    District Council" read backwards. Closed where the value ends, it reverses only itself. The closing
    characters are invisible, and a value that closes what it opens is written as it is."""
    if type(value) is not str or value.isascii() or _DIRECTION_CONTROLS.search(value) is None:
        return value
    return value + direction_closers(value)


def direction_closers(text: str) -> str:
    """The PDF and PDI characters that close what ``text`` leaves open, innermost first (as the Unicode
    bidirectional algorithm pairs them: a PDF closes an embedding only when one is innermost; a PDI
    closes its isolate and whatever was opened inside it; an unmatched closer does nothing)."""
    open_controls: list[str] = []
    for character in text:
        if character in _OPENS_EMBEDDING:
            open_controls.append(_CLOSES_EMBEDDING)
        elif character in _OPENS_ISOLATE:
            open_controls.append(_CLOSES_ISOLATE)
        elif character == _CLOSES_EMBEDDING:
            if open_controls and open_controls[-1] == _CLOSES_EMBEDDING:
                open_controls.pop()
        elif character == _CLOSES_ISOLATE and _CLOSES_ISOLATE in open_controls:
            while open_controls.pop() != _CLOSES_ISOLATE:
                pass
    return "".join(reversed(open_controls))


def init_templating(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES_FOLDER),
            # The package's own templates import each other as "govuk_frontend_jinja/...".
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # Flask's own static routes stay for building URLs (and in case WhiteNoise is bypassed);
    # WhiteNoise answers first (casework/core/static.py).
    app.register_blueprint(
        Blueprint("govuk_assets", __name__, static_folder=GOVUK_ASSETS_FOLDER, static_url_path="/assets")
    )
    init_static(app, GOVUK_ASSETS_FOLDER)

    helpers = {
        "format_date": format_date,
        "format_datetime": format_datetime,
        "filesize": format_filesize,
    }
    app.jinja_env.filters.update(helpers)
    # Set before any template is compiled: Jinja builds the call into each template's code.
    app.jinja_env.finalize = closed_directions
    from casework.core.security import idle_seconds, warning_seconds

    app.jinja_env.globals.update(
        helpers,
        format_duration=format_duration,
        idle_seconds=idle_seconds,
        warning_seconds=warning_seconds,
        component=component,
        filled_component=filled_component,
        cached_fragment=cached_fragment,
        blank_form_key=blank_form_key,
        navigation_items=navigation_items,
        # Links in emails and letters: from CASEWORK_BASE_URL, never the request's Host.
        external_url=external_url,
        has_endpoint=has_endpoint,
        error_summary_items=error_summary_items,
        field_error_message=field_error_message,
        field_anchor=field_anchor,
        # URLs kept once built where only ids or nothing vary (casework/core/urls.py).
        url_for=url_for,
        # A link keeping the page's query string (the next page of a search): see the function.
        url_with_query=url_with_query,
    )


def render_partials(partials: Iterable[tuple[str, dict[str, Any]]]) -> list[Markup]:
    """Flask's ``render_template`` for each (template, context) of the partials of one page (the case
    page's sections), as escaped HTML, with the context processors run once for all of them.

    Each ``render_template`` runs every context processor again (the signed-in user, the CSRF
    function, ``g``, ``request``, ``session``): the same values each time within a request, about
    seventy Python calls a section. The values given win over the processors', as with
    ``render_template``; each partial's context is taken (the generator run on) just before it is
    rendered, so the sections' records are read in the same order. Flask's ``before_render_template``
    and ``template_rendered`` signals are not sent for the partials (nothing here listens to them)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    shared: dict[str, Any] = {}
    app.update_template_context(shared)
    environment = app.jinja_env
    return [
        Markup(environment.get_template(name).render({**shared, **context}))  # noqa: S704 - autoescaped
        for name, context in partials
    ]


def drop_repeated_context_processors(app: Flask) -> None:
    """Run Flask's own context processor (``g``, ``request``, ``session``) once per render.

    Flask gives every blueprint a copy of it, and a render runs the application's processors and then
    those of each blueprint the request is in: three times on a ``staff.cases`` page, for each of the
    case page's eight renders, with the same result each time. Called once the blueprints are
    registered; a blueprint's own processors stay."""
    for name, processors in app.template_context_processors.items():
        if name is not None:
            processors[:] = [f for f in processors if f is not _default_template_ctx_processor]


# Dates and times, in the GOV.UK style (https://www.gov.uk/guidance/style-guide/a-to-z#dates).


def _in_london(value: datetime) -> datetime:
    # Stored datetimes are UTC; a naive one can only have come from the database without its zone.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON)


#: English month names, whatever the server's locale (``%B`` would follow it, and costs a strftime).
MONTHS = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(value: date | datetime | None) -> str:
    """``4 January 2027``. A datetime is shown as its date in Europe/London; None as ``""``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _in_london(value)
    return f"{value.day} {MONTHS[value.month]} {value.year}"


def format_time(value: datetime) -> str:
    """``2:15pm``, ``2pm``, ``midday``, ``midnight`` (GOV.UK style), in Europe/London."""
    return _clock_time(_in_london(value))


def _clock_time(value: datetime) -> str:
    """The time of a datetime already in Europe/London, as ``format_time`` gives it."""
    if value.minute == 0 and value.hour in (0, 12):
        return "midnight" if value.hour == 0 else "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def format_datetime(value: date | datetime | None) -> str:
    """``4 January 2027 at 2:15pm`` in Europe/London. A plain date is shown as a date."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_date(value)
    local = _in_london(value)  # once for the date and the time
    return f"{local.day} {MONTHS[local.month]} {local.year} at {_clock_time(local)}"


def format_duration(seconds: int) -> str:
    """``2 minutes``, ``1 minute 30 seconds``, ``45 seconds`` (as static/js/timeout-warning.mjs words it)."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if rest or not minutes:
        parts.append(f"{rest} second{'s' if rest != 1 else ''}")
    return " ".join(parts)


def format_filesize(size: int | None) -> str:
    """``512 bytes``, ``34 KB``, ``2.5 MB`` (GOV.UK style: no space-less units, KB rounded up)."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# GOV.UK components rendered once.
#
# The GOV.UK Frontend macros are the slow part of a page: a date input is three inputs, each built
# from nested macros, attribute helpers and ``indent`` filters (half the time of the public Case Review
# form went to its six date inputs). Their output depends on their parameters only, so a component
# called again with the same parameters (a blank field, the header) is served from a small cache.
# Components holding what someone typed are not cached (``cache=False``): personal data must not
# linger in the server's memory.

COMPONENT_CACHE_SIZE = 512
#: The parameters as a key: ``json.dumps(params, sort_keys=True, default=str)``, without building
#: an encoder on every call (``dumps`` does with any option); ``encode`` keeps no state between calls.
_KEY_ENCODER = json.JSONEncoder(sort_keys=True, default=str)
_components: OrderedDict[tuple[str, str], Markup] = OrderedDict()
_components_lock = threading.Lock()


def component(macro: Any, params: dict[str, Any], cache: bool = True) -> Markup:
    """``{{ component(govukDateInput, {...}) }}``: the macro's output, from the cache when it was
    rendered with the same parameters before. Not for components called with a ``caller`` block."""
    if not cache:
        return Markup(macro(params))  # noqa: S704 - a macro's output is already escaped HTML
    key = (macro.name, _KEY_ENCODER.encode(params))
    with _components_lock:
        html = _components.get(key)
        if html is not None:
            _components.move_to_end(key)
            return html
    html = Markup(macro(params))  # noqa: S704 - a macro's output is already escaped HTML
    with _components_lock:
        _components[key] = html
        if len(_components) > COMPONENT_CACHE_SIZE:
            _components.popitem(last=False)
    return html


# Components with a record's values, rendered once per shape.
#
# A summary list of a record (its place, owner, dates) cannot be kept: it holds the record's values.
# Its markup around them is the same for every record of the same shape, though, and building it is
# most of the cost. ``filled_component`` renders the macro once with stand-ins where the values go
# (each non-empty ``text`` and ``href``, and a row's ``html``), keeps the markup split at the
# stand-ins (the shape: nothing about a record), and puts each call's values in their place, escaped
# (or, for html, trimmed and indented) as the macro does. Only for macros known to print those
# parameters that way (FILLABLE, tested against the macro itself); anything else is rendered by the
# macro every time.

FILLABLE = frozenset({"govukSummaryList"})
FILLED_KEYS = frozenset({"text", "href"})
_STAND_IN = "app-stand-in-{}-x7q"
_shapes: OrderedDict[tuple[str, str], tuple[list[str], list[int]] | None] = OrderedDict()


def _stand_ins(value: Any, values: list[str], path: tuple[str, ...] = ()) -> Any:
    """``value`` with each non-empty text and href replaced by a stand-in, appended to ``values``, and
    each row's key or value ``html`` as the macro prints it (trimmed, indented). Raises ``_Filled`` for
    other ``html`` or a value of more than one line."""
    if isinstance(value, dict):
        shaped = {}
        for key, item in value.items():
            if key == "html" and item:
                if path not in (("rows", "key"), ("rows", "value")):
                    raise _Filled
                # As govukSummaryList prints it: row.key.html | safe | trim | indent(6).
                shaped[key] = _STAND_IN.format(len(values))
                values.append(do_indent(do_trim(Markup(item)), 6))  # noqa: S704 - html given as html
            elif key in FILLED_KEYS and isinstance(item, str) and item:
                if item.splitlines() != [item]:
                    raise _Filled  # the macro indents a link's lines: rendered as it is
                shaped[key] = _STAND_IN.format(len(values))
                values.append(item)
            else:
                shaped[key] = _stand_ins(item, values, (*path, key))
        return shaped
    if isinstance(value, list | tuple):
        return [_stand_ins(item, values, path) for item in value]
    return value


def _shape_of(html: str, count: int) -> tuple[list[str], list[int]] | None:
    """The markup between the stand-ins and the order they come in; None unless each appears once."""
    pattern = re.compile("app-stand-in-([0-9]+)-x7q")
    pieces = pattern.split(html)
    order = [int(number) for number in pieces[1::2]]
    if sorted(order) != list(range(count)):
        return None
    return pieces[0::2], order


def filled_component(macro: Any, params: dict[str, Any]) -> Markup:
    """``{{ filled_component(govukSummaryList, {...}) }}``: the macro's output for these parameters,
    its markup kept per shape and the values put in (see above)."""
    if macro.name not in FILLABLE:
        raise ValueError(f"{macro.name} is not known to print its text parameters as they are")
    values: list[str] = []
    try:
        shaped = _stand_ins(params, values)
    except _Filled:
        return Markup(macro(params))  # noqa: S704 - a macro's output is already escaped HTML
    key = (macro.name, _KEY_ENCODER.encode(shaped))
    with _components_lock:
        found = key in _shapes
        shape = _shapes.get(key)
        if found:
            _shapes.move_to_end(key)
    if not found:
        shape = _shape_of(str(macro(shaped)), len(values))
        with _components_lock:
            _shapes[key] = shape
            if len(_shapes) > COMPONENT_CACHE_SIZE:
                _shapes.popitem(last=False)
    if shape is None:
        return Markup(macro(params))  # noqa: S704 - a macro's output is already escaped HTML
    pieces, order = shape
    parts = [pieces[0]]
    for index, piece in zip(order, pieces[1:], strict=True):
        parts.append(escape(closed_directions(values[index])))
        parts.append(piece)
    return Markup("".join(parts))  # noqa: S704 - the macro's markup and escaped values


# Fragments of a page rendered once.
#
# A form nobody has filled in yet renders the same fields every time (the public Case Review form is
# forty of them, six date inputs among them: most of its rendering time). ``cached_fragment`` keeps
# such a fragment, keyed by what it depends on; ``blank_form_key`` is that key for a form that holds
# nothing but its defaults and choices, and None (not cached) as soon as anything was submitted or
# filled in, so what someone typed is never kept. The CSRF token and the submission key stay outside
# the fragment.

FRAGMENT_CACHE_SIZE = 64
_fragments: OrderedDict[tuple[str, Any], Markup] = OrderedDict()
_fragments_lock = threading.Lock()


def cached_fragment(name: str, key: Any, caller: Any) -> Markup:
    """``{% call cached_fragment("apply questions", blank_form_key(form)) %}...{% endcall %}``: the
    block's output, rendered once for the same name and key. A key of None renders it every time."""
    if key is None:
        return Markup(caller())  # noqa: S704 - a block's output is already escaped HTML
    cache_key = (name, key)
    with _fragments_lock:
        html = _fragments.get(cache_key)
        if html is not None:
            _fragments.move_to_end(cache_key)
            return html
    html = Markup(caller())  # noqa: S704 - a block's output is already escaped HTML
    with _fragments_lock:
        _fragments[cache_key] = html
        if len(_fragments) > FRAGMENT_CACHE_SIZE:
            _fragments.popitem(last=False)
    return html


class _Filled(Exception):
    """A field holds something other than its default: the form is not blank."""


def _blank_state(field: Any) -> Any:
    if field.type == "FieldList":
        return (field.name, tuple(_blank_state(entry) for entry in field.entries))
    if field.type == "FormField":
        return (field.name, tuple(_blank_state(sub) for sub in field.form))
    default = field.default() if callable(field.default) else field.default
    if field.errors or field.raw_data or (field.data not in (None, "", False) and field.data != default):
        raise _Filled
    choices = getattr(field, "choices", None)
    # The choices (areas, agencies: the service's own lists) are part of the key, so a change to
    # them shows on the next page.
    return (field.name, repr(field.data), repr(choices))


def _outside_fragments(field: Any) -> bool:
    """The CSRF token (the session's) and the submission key (new on every page) are written out by
    ``form.hidden_tag()``, outside any kept fragment."""
    return bool(field.type == "CSRFTokenField" or field.short_name == "submission_key")


def blank_form_key(form: Any) -> tuple[Any, ...] | None:
    """The key of a form's fields for ``cached_fragment`` while nobody has filled it in: its fields'
    defaults and choices. None once the form was submitted or holds anything but its defaults.

    Only for forms whose defaults and choices are the same for everyone who may see the page (the
    public form: none, and the service's areas and agencies), never defaults taken from a record or
    the user: those would be kept in the cache."""
    if form.is_submitted():
        return None
    try:
        return (type(form).__qualname__, *(_blank_state(field) for field in form if not _outside_fragments(field)))
    except _Filled:
        return None


# Routing.


def has_endpoint(endpoint: str) -> bool:
    """Whether ``url_for(endpoint)`` can be built: templates link to sections only when they exist."""
    return endpoint in current_app.view_functions


# Form errors, for templates/macros/forms.html.


def _messages(errors: Any) -> list[str]:
    """WTForms errors flattened: a FormField's errors are a dict of its subfields' lists."""
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _messages(value)]
    return [str(message) for message in errors or ()]


def _is_date_input(field: Any) -> bool:
    if field.type == "FormField":
        return "day" in field.form._fields
    return bool(field.type.endswith("DateField"))


def field_anchor(field: Any) -> str:
    """The id of the control a field's error should link to: the first input of the group.

    Radios and checkboxes rendered by the macros use the field id for their first item; date inputs
    use ``<id>-day``.
    """
    if _is_date_input(field):
        return str(field.form.day.id) if field.type == "FormField" else f"{field.id}-day"
    return str(field.id)


def field_error_message(field: Any) -> dict[str, str] | None:
    """The ``errorMessage`` parameter for a GOV.UK component: the field's first error, or None."""
    messages = _messages(field.errors)
    return {"text": messages[0]} if messages else None


def error_summary_items(form: Any) -> list[dict[str, str]]:
    """The ``errorList`` for govukErrorSummary: form-level errors first, then one per field in order."""
    items = [{"text": str(message)} for message in getattr(form, "form_errors", None) or ()]
    for field in form:
        messages = _messages(field.errors)
        if messages:
            items.append({"text": messages[0], "href": f"#{field_anchor(field)}"})
    return items


# Content Security Policy.


@cache
def govuk_template_script_hashes() -> tuple[str, ...]:
    """CSP source expressions (``'sha256-...'``) for the inline script in govuk_frontend_jinja's page
    template.

    ``template.html`` always emits one fixed inline ``<script>`` that adds the ``js-enabled`` and
    ``govuk-frontend-supported`` body classes; a child template cannot remove it. Our own
    ``static/js/init.js`` does the same job, so a CSP without this hash still works, but the browser
    then reports a blocked inline script on every page. Adding these to ``script-src`` is the approach
    GOV.UK Frontend documents.
    """
    source = (resources.files("govuk_frontend_jinja") / "templates" / "template.html").read_text("utf-8")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", source, flags=re.DOTALL)
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" for script in scripts
    )
