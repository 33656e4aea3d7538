"""The sandbox for admins' templates offers only what has a size rule: each filter, test, global and
method says how big its result can be, and a rule that multiplies size measures the call before it runs.
The limits are checked between operations, never inside one, so anything that builds a large value in
one call and has no rule would build it before any limit could look: the walks below fail on anything
the sandbox offers without one (a filter a new Jinja adds, a method a new Python adds to ``str``).

Each hostile case builds 10 MB or more in one call and writes none of it (an ``{% if %}``): here it is
refused before it is built; the fair uses of the same filters and methods write what Jinja's own
sandbox writes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import jinja2.defaults
import pytest
from jinja2 import TemplateAssertionError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup

from casework.community_triggers import letters
from casework.core.errors import InvalidInput
from casework.core.safe_templates import (
    GLOBAL_RULES,
    METHOD_RULES,
    TEST_RULES,
    LimitedSandbox,
    Sample,
    SizeRule,
    TemplateLimitExceeded,
    check_before_saving,
    is_method,
    method_rule,
)
from casework.interventions import notices
from casework.threshold_watch import message
from tests.support.template_limits import refused_before_it_builds


def _sandboxes() -> list[LimitedSandbox]:
    """The sandbox as it comes, and each one the project renders letters and notices in."""
    return [LimitedSandbox(), letters._ENV, notices._ENV, message._ENV]


def _loop_and_generator() -> list[Any]:
    """A template's own loop object, a filter's generator, a macro and groupby's groups, as a template
    can reach them."""
    kept: list[Any] = []
    LimitedSandbox().render_limited(
        "{% for x in [1] %}{% set _ = kept.append(loop) %}{% endfor %}{% set _ = kept.append([1]|map('string')) %}"
        "{% macro m() %}{% endmacro %}{% set _ = kept.append(m) %}{% set _ = kept.append([1]|groupby('real')) %}",
        {"kept": kept},
    )
    return kept


def _values_a_template_can_reach() -> list[Any]:
    """One of every kind of value a template is given (``safe_templates.PLAIN_TYPES`` in lists and
    dicts) or can make (a literal, a filter's result, a global's)."""
    return [
        "text",
        Markup("<b>text</b>"),
        [1],
        (1,),
        {"a": 1},
        {"a": 1}.items(),
        {"a": 1}.keys(),
        {"a": 1}.values(),
        1,
        True,
        1.5,
        Decimal("1.5"),
        date(2026, 3, 2),
        datetime(2026, 3, 2, 14, 15),
        None,
        range(2),
        Cycler(1, 2),
        Joiner(),
        Namespace(a=1),
        *_loop_and_generator(),
    ]


@pytest.mark.parametrize("env", _sandboxes(), ids=["as it comes", "letters", "notices", "watch"])
def test_every_filter_test_and_global_the_sandbox_offers_has_a_size_rule(env: LimitedSandbox) -> None:
    without = [name for name, fn in env.filters.items() if not isinstance(getattr(fn, "size_rule", None), SizeRule)]
    assert without == [], f"filters with no size rule: {without}"
    assert sorted(set(env.tests) - set(TEST_RULES)) == []
    assert sorted(set(env.globals) - set(GLOBAL_RULES)) == []
    assert all(fn.size_rule.why for fn in env.filters.values())


def test_every_method_the_sandbox_lets_through_has_a_size_rule() -> None:
    env = LimitedSandbox()
    without = []
    for value in _values_a_template_can_reach():
        for name in dir(value):
            attribute = getattr(value, name, None)
            offered = is_method(value, name, attribute) and env.is_safe_attribute(value, name, attribute)
            if offered and method_rule(value, name) is None:
                without.append(f"{type(value).__name__}.{name}")
    assert without == []
    # And every rule names a method its class has (a rule for a name that does not exist is a typo).
    assert [
        f"{cls.__name__}.{name}" for cls, rules in METHOD_RULES.items() for name in rules if not hasattr(cls, name)
    ] == []


@pytest.mark.parametrize(
    "call",
    [
        "'x'.encode()",  # bytes, whose methods have no rules
        "(1).to_bytes(4, 'big')",
        "([1]|map('string')).send(none)",
        "{}.items().mapping.copy()",
    ],
)
def test_a_method_with_no_size_rule_is_refused(call: str) -> None:
    SandboxedEnvironment().from_string("{{ " + call + " }}").render()  # Jinja's own sandbox lets it through
    with pytest.raises(SecurityError):
        LimitedSandbox().render_limited("{{ " + call + " }}", {})


def test_a_filter_test_or_global_jinja_adds_without_a_size_rule_is_not_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new Jinja release would add them: a template that uses one is refused as a mistake."""
    monkeypatch.setitem(jinja2.defaults.DEFAULT_FILTERS, "shout", lambda text: text.upper() * 1000)
    monkeypatch.setitem(jinja2.defaults.DEFAULT_TESTS, "loud", lambda text: True)
    env = LimitedSandbox()
    assert "shout" not in env.filters
    assert "loud" not in env.tests
    assert "lipsum" not in env.globals
    with pytest.raises(TemplateAssertionError, match="No filter named 'shout'"):
        env.render_limited("{{ 'a'|shout }}", {})
    with pytest.raises(TemplateAssertionError, match="No test named 'loud'"):
        env.render_limited("{{ 'a' is loud }}", {})
    source = "{{ 'a'|shout }}"
    with pytest.raises(InvalidInput) as refused:
        check_before_saving(
            env,
            {"body": source},
            lambda values: env.render_limited(source, values),
            [Sample("a record", {})],
            used_in="notices",
        )
    assert "No filter named 'shout'" in str(refused.value.errors["body"])


@pytest.mark.parametrize(
    "expression",
    [
        # A list that repeats one long text, written out.
        "(['x' * 10000] * 1000)|tojson",
        "([('a', 'x' * 10000)] * 1000)|urlencode",
        "{}.fromkeys(range(1000)|map('string'), 'x' * 10000)|xmlattr",
        "([{'n': 'x' * 10000}] * 1000)|join(attribute='n')",
        # An argument written once for each line, tab, word or character.
        "([1] * 1000)|tojson(indent=10000)",
        "('x\\n' * 1000)|indent(10000)",
        "('\\n' * 1000)|indent('y' * 10000, blank=true)",
        "('\\t' * 1000).expandtabs(10000)",
        "('x' * 1000).translate({120: 'y' * 10000})",
        "('www.a.com ' * 1000)|urlize(target='x' * 10000)",
        # A lower-case copy of each key, all held until the sort ends.
        "(['X' * 10000] * 1000)|sort",
        "([{'n': 'X' * 10000}] * 1000)|sort(attribute='n')",
        "(['X' * 10000] * 1000)|map('string')|sort",
        "([{'n': 'X' * 10000}] * 1000)|groupby('n')",
        "{}.fromkeys(range(1000)|map('string'), 'X' * 10000)|dictsort(by='value')",
        # A sum of lists: a new list at each item, each as long as all before it.
        "([[1] * 10000] * 1000)|sum(start=[])",
    ],
)
def test_a_call_that_multiplies_what_it_is_given_is_refused_before_it_builds(expression: str) -> None:
    # 10 MB or more, built
    refused_before_it_builds(lambda: LimitedSandbox().render_limited("{% if " + expression + " %}built{% endif %}", {}))


@pytest.mark.parametrize(
    "expression",
    [
        "'x'.center(10 ** 6)",
        "'x'.ljust(10 ** 6)",
        "'x'.rjust(10 ** 6)",
        "'x'.zfill(10 ** 6)",
        "'x'|center(10 ** 6)",
        "[1]|batch(10 ** 6, 'x')|list",
        "[1]|slice(10 ** 6, 'x')|list",
        "day.strftime('%c' * 20000)",  # twelve characters for each two
    ],
)
def test_a_width_or_a_count_past_the_limit_is_refused(expression: str) -> None:
    with pytest.raises(TemplateLimitExceeded, match="more than 200,000 characters"):
        LimitedSandbox().render_limited("{% if " + expression + " %}built{% endif %}", {"day": date(2026, 3, 2)})


def test_a_list_that_extends_itself_is_refused_at_the_limit() -> None:
    """Each step one call, doubling: a billion references (8 GB) in 30 steps, none of them written."""
    source = "{% set l = [1] %}{% for i in range(30) %}{% set _ = l.extend(l) %}{% endfor %}{{ l|length }}"
    refused_before_it_builds(lambda: LimitedSandbox().render_limited(source, {}))


def test_a_short_amount_that_spells_a_long_one_is_refused_by_money() -> None:
    """``'1e999999999'|money`` writes a billion digits (1.3 GB with its commas) in one call."""
    # 13 MB, built
    refused_before_it_builds(lambda: notices._ENV.render_limited("{% if '1e9999999'|money %}built{% endif %}", {}))
    assert notices._ENV.render_limited("{{ 1234.5|money }} {{ '100'|money }} {{ none|money }}", {}) == "£1,234.50 £100 "


FAIR_USE = (
    "{{ name|center(9) }}|{{ name.ljust(5) }}|{{ name.rjust(5, '.') }}|{{ '7'.zfill(3) }}|"
    "{{ 'a\tb'.expandtabs(4) }}|{{ 'ab'.translate({97: 'A'}) }}|{{ lines|indent(2) }}|"
    "{{ lines|indent('> ', first=true, blank=true) }}|{{ {'a': [1, '<x>']}|tojson }}|{{ {'a': [1]}|tojson(indent=2) }}|"
    "{{ {'q': 'a b', 'n': 1}|urlencode }}|{{ 'a b&c'|urlencode }}|{{ {'class': 'x', 'id': 'y'}|xmlattr }}|"
    "{{ [[1], [2, 3]]|sum(start=[]) }}|{{ [1, 2, 3]|sum }}|{{ people|sum(attribute='age') }}|"
    "{{ people|sort(attribute='name')|map(attribute='name')|join(',') }}|{{ ['b', 'A', 'c']|sort|join }}|"
    "{{ {'b': 1, 'A': 2}|dictsort|map('first')|join }}|{{ people|groupby('town')|map('first')|join(',') }}|"
    "{{ 'see www.example.com now'|urlize(target='_blank') }}|{{ [1, 2, 3]|batch(2, 0)|list }}|"
    "{{ [1, 2, 3]|slice(2, 0)|list }}|{{ day.strftime('%d %B %Y') }}|"
    "{{ 'Hello there'|truncate(8, end='~', leeway=0) }}|"
    "{{ 12345|filesizeformat }}|{{ ['a', 'A', 'b']|unique|join }}|{{ '<b>x</b>'|striptags }}|"
    "{{ people|map(attribute='name')|map('upper')|select('ne', 'BO')|join }}|{{ 'a-b'.split('-')|reverse|join }}|"
    "{% set l = [1] %}{% for i in range(3) %}{% set _ = l.extend(l) %}{% endfor %}{{ l|length }}|"
    "{% set d = {} %}{% set _ = d.update({'a': 1}, b=2) %}{{ d|dictsort }}|"
    "{% for x in [1, 2] %}{{ loop.cycle('a', 'b') }}{% endfor %}|{{ ['x', 'y']|join(', ') }}"
)


def test_fair_uses_write_what_jinjas_own_sandbox_writes() -> None:
    context = {
        "name": "Ann",
        "lines": "one\n\ntwo",
        "people": [{"name": "Cy", "town": "Leeds", "age": 30}, {"name": "Bo", "town": "York", "age": 40}],
        "day": date(2026, 3, 2),
    }
    written = LimitedSandbox().render_limited(FAIR_USE, context)
    assert written == SandboxedEnvironment().from_string(FAIR_USE).render(context)
    assert written.startswith("   Ann   |Ann  |..Ann|007|a   b|Ab|one\n\n  two|> one\n> \n> two|")
    assert "|70|Bo,Cy|Abc|" in written
    assert written.endswith("|02 March 2026|Hello~|12.3 kB|ab|x|CY|ba|8|[('a', 1), ('b', 2)]|ab|x, y")


@pytest.mark.parametrize(
    "source",
    [
        "{% macro m() %}{% for i in range(100) %}{{ big }}{% endfor %}{% endmacro %}{% if m() %}built{% endif %}",
        "{% set s %}{% for i in range(100) %}{{ big }}{% endfor %}{% endset %}{% if s %}built{% endif %}",
        "{% if false %}{% filter length %}{% for i in range(100) %}{{ big }}{% endfor %}{% endfilter %}{% endif %}"
        "{% filter length %}{% for i in range(100) %}{{ big }}{% endfor %}{% endfilter %}",
        "{% macro m() %}{{ caller() }}{% endmacro %}{% if true %}{% call m() %}{% for i in range(100) %}{{ big }}"
        "{% endfor %}{% endcall %}{% endif %}",
    ],
    ids=["macro", "set block", "filter block", "call block"],
)
def test_what_a_macro_or_a_block_wrote_is_counted_before_it_is_joined(source: str) -> None:
    """Each ``{{ big }}`` is under the limit and only a reference; the block's text is joined in one call
    (10 MB here, 2 GB with the 10,000 iterations a render may loop), before the output's limit sees it."""
    refused_before_it_builds(lambda: LimitedSandbox().render_limited("{% set big = 'x' * 100000 %}" + source, {}))


def test_fair_macros_and_blocks_still_write_their_text() -> None:
    source = (
        "{% macro line(label, value) %}{{ label }}: {{ value }}{% endmacro %}{{ line('Name', name) }}|"
        "{% set s %}{% for i in [1, 2] %}{{ i }}{% endfor %}{% endset %}{{ s }}|"
        "{% filter upper %}{{ name }}{% endfilter %}|"
        "{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}{{ name }}{% endcall %}"
    )
    assert LimitedSandbox().render_limited(source, {"name": "Ann"}) == "Name: Ann|12|ANN|[Ann]"
