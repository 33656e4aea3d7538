"""``url_for`` for pages: Flask's, without rebuilding the same URL shape on every request.

A page builds the same URLs on every request (the footer's links, the static files, the navigation,
the forms' actions) and a link per row that differs only by an id; werkzeug builds each afresh, a
fifth of a case page's rendering. Kept per application, keyed by the script root (the proxy's
prefix), the endpoint and the arguments' names:

- an endpoint without arguments, or a static file's name: the URL itself;
- arguments that are all ids (non-negative integers): the URL's shape, built once with stand-in
  numbers, the ids put in its place on each call (``str(id)``, what werkzeug's integer converter and
  query string give);
- an endpoint whose only rule has no arguments (the case list), given strings or ids: they can only
  go in the query string, so the URL is the kept URL without arguments, ``?``, and the query string
  encoded as werkzeug encodes it (``QUERY_SAFE``): the case list's sort links, pages and saved views.

Only URLs without their query strings and URL shapes are kept, never an argument's value other than
a static file's name: nothing typed and nothing about a user. Anything else (a string for a path
argument, a blueprint-relative name, an option such as ``_external`` or ``_anchor``, a list or None,
no request: emails use external_url) is built by Flask every time.

What the key holds is all a URL depends on here: the ``url_defaults`` functions (the static files'
fingerprints) do not depend on the request. One that did would have to be part of the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app, request
from flask.globals import _cv_request

#: Enough for every endpoint of the service, with room to spare; past it, URLs are built every time.
URL_CACHE_SIZE = 4096
#: Stand-in ids for building a shape: ten digits, below the database's INTEGER limit, found nowhere
#: else in a URL (each must appear exactly once, or the shape is not kept).
_STAND_IN = 2_147_400_011

#: The characters werkzeug leaves as they are in a query string it builds (``werkzeug.urls._urlencode``,
#: from https://url.spec.whatwg.org/#percent-encoded-bytes); tests compare the URLs with Flask's.
QUERY_SAFE = "!$'()*,/:;?@"
#: The key under which an endpoint's URL without arguments is kept when its arguments can only be
#: query arguments ("" when they cannot).
_QUERY_ONLY = "?"

_Key = tuple[str, str, Any]


def _shape(endpoint: str, names: tuple[str, ...]) -> str | None:
    """The URL with ``{0}``, ``{1}``... where the ids go, or None when the stand-ins do not each
    appear exactly once (a converter that pads or changes numbers)."""
    if any(rule.defaults for rule in current_app.url_map.iter_rules(endpoint)):
        return None  # a rule chosen by its defaults' values (page=1 -> "/") has no single shape
    stand_ins = [str(_STAND_IN + 1000 * index) for index in range(len(names))]
    arguments: dict[str, Any] = {name: int(number) for name, number in zip(names, stand_ins, strict=True)}
    url = current_app.url_for(endpoint, **arguments)
    if "{" in url or "}" in url or any(url.count(number) != 1 for number in stand_ins):
        return None
    for index, number in enumerate(stand_ins):
        url = url.replace(number, "{%d}" % index)  # noqa: UP031 - a format field, built
    return url


def _query_only_base(endpoint: str) -> str:
    """The URL without arguments of an endpoint whose one rule has no arguments and no defaults, so
    that any argument goes to the query string; "" for any other endpoint."""
    rules = list(current_app.url_map.iter_rules(endpoint))
    if current_app.url_map.sort_parameters or len(rules) != 1 or rules[0].arguments or rules[0].defaults:
        return ""
    url = current_app.url_for(endpoint)
    return "" if "?" in url or "#" in url else url


#: A name or value that werkzeug's encoding leaves as it is: ASCII letters and digits, what
#: ``quote_plus`` never quotes (``_.-~``) and ``QUERY_SAFE``.
_AS_IT_IS = re.compile(r"[A-Za-z0-9_.\-~!$'()*,/:;?@]*").fullmatch


def query_string(values: dict[str, str | int]) -> str:
    """The query string of these names and values (strings or ints), as werkzeug encodes it: names
    and values that need no quoting (the sort keys, orders, ids and pages of the case list's links)
    are joined as they are, without ``urlencode``'s five Python calls for each; if any needs quoting,
    ``urlencode`` encodes them all."""
    pairs = []
    for name, value in values.items():
        text = value if type(value) is str else str(value)
        if _AS_IT_IS(name) is None or _AS_IT_IS(text) is None:
            return urlencode(list(values.items()), safe=QUERY_SAFE)
        pairs.append(f"{name}={text}")
    return "&".join(pairs)


def url_for(endpoint: str, **values: Any) -> str:
    """Flask's ``url_for`` for templates and the navigation, with the shapes kept (see the module)."""
    context = _cv_request.get(None)  # the request's context, as flask.request finds it
    if context is None or endpoint.startswith("."):
        return current_app.url_for(endpoint, **values)
    app = context.app
    cache: dict[_Key, str] | None = app.extensions.get("casework_url_cache")
    if cache is None:
        cache = app.extensions.setdefault("casework_url_cache", {})
    script_root = context.request.root_path
    if not values:
        key: _Key = (script_root, endpoint, None)
    elif endpoint == "static" and len(values) == 1 and isinstance(values.get("filename"), str):
        key = (script_root, endpoint, values["filename"])
    elif all(type(value) is int and value >= 0 for value in values.values()) and not any(
        name.startswith("_") for name in values
    ):
        names = tuple(values)
        shape_key: _Key = (script_root, endpoint, names)
        shape = cache.get(shape_key)
        if shape is None:
            shape = _shape(endpoint, names)
            if shape is None:
                return app.url_for(endpoint, **values)
            if len(cache) < URL_CACHE_SIZE:
                cache[shape_key] = shape
        return shape.format(*values.values())
    elif all(type(value) is str or type(value) is int for value in values.values()) and not any(
        name.startswith("_") for name in values
    ):
        base_key: _Key = (script_root, endpoint, _QUERY_ONLY)
        base = cache.get(base_key)
        if base is None:
            base = _query_only_base(endpoint)
            if len(cache) < URL_CACHE_SIZE:
                cache[base_key] = base
        if not base:
            return app.url_for(endpoint, **values)
        return f"{base}?{query_string(values)}"
    else:
        return app.url_for(endpoint, **values)
    url = cache.get(key)
    if url is None:
        url = app.url_for(endpoint, **values)
        if len(cache) < URL_CACHE_SIZE:
            cache[key] = url
    return url


def url_with_query(endpoint: str, query: Mapping[str, Any], **values: Any) -> str:
    """``endpoint``'s URL (built from ``values``) with ``query`` as its query string: for a link or a
    redirect that keeps the page's own query (``request.args``, changed), such as the next page of a
    search.

    The query's names only ever go in the query string. Given to ``url_for`` as keyword arguments,
    names from the request would be its options and arguments: ``?_external=1`` made a link absolute
    from the request's Host, ``?_anchor=`` added a fragment, and ``?endpoint=`` or a name the URL
    already had (``?person_id=``) was a TypeError, a 500."""
    base = url_for(endpoint, **values)
    pairs = [(name, value) for name, value in query.items() if value is not None]
    if not pairs:
        return base
    return f"{base}{'&' if '?' in base else '?'}{urlencode(pairs, safe=QUERY_SAFE)}"


def site_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site (``/cases/7?page=2``), None otherwise: a ``next`` to
    follow after signing in, or a page to send someone back to, must not lead to another site (an open
    redirect helps phishing)."""
    # Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example" and
    # "/\t/evil.example" both lead to another site: refuse them with anything that is not printable.
    if target and "\\" not in target and target.isprintable() and " " not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return None


def referring_page() -> str | None:
    """The page of this site the request was sent from (its ``Referer``, when it is this site's), as a
    path; None when there is none or it is another site's."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in {"http", "https"} or parts.netloc != request.host:
        return None
    return site_path(parts.path + (f"?{parts.query}" if parts.query else ""))
