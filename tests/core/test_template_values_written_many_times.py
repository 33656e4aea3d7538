"""A format call writes its text in one step, before any limit of the render can look at it, so what it
will write is counted first: not only the widths its format string spells out, but a width a nested
field takes from an argument's item or attribute, and one long value written by many fields
(``('{0}' * 60000).format(summary)`` is 60,000 copies of the summary: 12 GB for one of 200,000
characters). The ``%`` operator and the ``format`` filter likewise.

Each case below builds 10 MB and writes none of it (an ``{% if %}``): rendered, it would be built; here
it is refused, and the fair uses of each still work."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from casework.core.safe_templates import LimitedSandbox, TemplateLimitExceeded
from tests.support.template_limits import refused_before_it_builds


@pytest.mark.parametrize(
    "call",
    [
        # A width from an argument's item or attribute, which the format string cannot show.
        "('{0:{1[0]}}' * 2).format(1, [150000])",
        "('{0:{1[a][b]}}' * 2).format(1, {'a': {'b': 150000}})",
        "('{0:{1.w}}' * 2).format(1, namespace(w=150000))",
        "('{a:>{w[0]}}' * 2).format_map({'a': 1, 'w': [150000]})",
        # One long value, written by many fields.
        "('{0}' * 50).format('x' * 199999)",
        "('{0[0]}' * 50).format(['x' * 199999])",
        "('%s' * 50) % (('x' * 199999,) * 50)",
        "('%(a)s' * 50) % {'a': 'x' * 199999}",
        "('%r' * 50) % (('x' * 199999,) * 50)",
    ],
)
def test_what_a_format_call_would_write_is_counted_before_it_is_written(call: str) -> None:
    with pytest.raises(TemplateLimitExceeded, match="more than 200,000 characters"):
        LimitedSandbox().render_limited("{% if " + call + " %}built{% endif %}", {})


@pytest.mark.parametrize(
    "call",
    [
        "('%s' * 50)|format(*(['x' * 199999] * 50))",
        "('%(a)s' * 50)|format(a='x' * 199999)",
        "('%*d' * 50)|format(*([199999, 1] * 50))",
    ],
)
def test_the_format_filter_is_refused_before_it_builds_its_text(call: str) -> None:
    """The filter's result was measured only once built: 10 MB here, and 12 GB as easily."""
    # the text would be 10 MB
    refused_before_it_builds(lambda: LimitedSandbox().render_limited("{{ " + call + " }}", {}))


def test_fair_format_calls_still_write_their_text() -> None:
    sandbox = LimitedSandbox()
    template = (
        "{{ '{0} of {1[street]}, {2.town}'.format(name, address, place) }}|"
        "{{ '{:>{}}|{:.{}f}'.format('a', 3, 2.5, 2) }}|"
        "{{ '{a}-{a}'.format_map({'a': summary}) }}|"
        "{{ '%s, %(x)s' % {'x': 1} if false else '%s and %s' % (name, summary) }}|"
        "{{ '%(n)s owes %(n)s' % {'n': name} }}|"
        "{{ '%*d%%'|format(4, 7) }}|{{ '%(a)s'|format(a=name) }}"
    )
    context = {
        "name": "Ann",
        "address": {"street": "1 High St"},
        "place": type("Place", (), {"town": "Leeds"})(),
        "summary": "s" * 40_000,
    }
    assert sandbox.render_limited(template, context) == (
        f"Ann of 1 High St, Leeds|  a|2.50|{'s' * 40_000}-{'s' * 40_000}|Ann and {'s' * 40_000}|Ann owes Ann|   7%|Ann"
    )


def test_format_on_markup_still_escapes_what_it_fills_in() -> None:
    sandbox = LimitedSandbox(autoescape=True)
    assert sandbox.render_limited("{{ heading.format(name) }}", {"heading": Markup("<b>{}</b>"), "name": "<i>"}) == (
        "<b>&lt;i&gt;</b>"
    )


def test_format_map_takes_one_mapping_as_before() -> None:
    with pytest.raises(TypeError, match="exactly one argument"):
        LimitedSandbox().render_limited("{{ '{a}'.format_map({'a': 1}, {'a': 2}) }}", {})


@pytest.mark.parametrize("operator", ["~", "+"])
def test_a_value_doubled_step_by_step_is_refused_at_the_limit(operator: str) -> None:
    """Each step one operation on values under the limit, so nothing looked: 20 steps from 200,000
    characters are 200 GB. Never written out (a ``set``), so the output's limit never saw it either."""
    source = "{% set s = 'x' * 150000 %}" + f"{{% set s = s {operator} s %}}" * 6 + "{% if s %}built{% endif %}"
    with pytest.raises(TemplateLimitExceeded, match="more than 200,000 characters"):
        LimitedSandbox().render_limited(source, {})


def test_a_list_doubled_step_by_step_is_refused_at_the_limit() -> None:
    source = "{% set s = ['x'] %}" + "{% set s = s + s %}" * 20 + "{% if s %}built{% endif %}"
    with pytest.raises(TemplateLimitExceeded, match="more than 200,000 characters"):
        LimitedSandbox().render_limited(source, {})


def test_fair_joins_still_write_their_text_and_escape_as_before() -> None:
    template = "{{ name ~ ' ' ~ 3 ~ '/' ~ note }}|{{ name + '!' }}|{{ ([1] + [2])|join(',') }}|{{ 1 + 2 }}"
    context = {"name": "<Ann>", "note": Markup("<b>x</b>")}
    assert LimitedSandbox().render_limited(template, context) == "<Ann> 3/<b>x</b>|<Ann>!|1,2|3"
    assert LimitedSandbox(autoescape=True).render_limited(template, context) == (
        "&lt;Ann&gt; 3/<b>x</b>|&lt;Ann&gt;!|1,2|3"
    )


@pytest.mark.parametrize(
    "expression",
    [
        # Each argument under the limit; what the one call writes is their product.
        "('x' * 1000)|replace('x', 'y' * 10000)",
        "('x' * 1000).replace('x', 'y' * 10000)",
        "('x' * 1000)|replace('', 'y' * 10000)",
        "('ab' * 500).split('a')|join('y' * 10000)",
        "('y' * 10000).join(['x'] * 1000)",
        "('x' * 1000)|wordwrap(1, wrapstring='y' * 10000)",
        # A join of a text's characters, or of a generator (read once: made a list to be measured).
        "('x' * 1000)|join('y' * 10000)",
        "('y' * 10000).join('x' * 1000)",
        "(['x' * 10000] * 1000)|map('string')|join",
        "''.join((['x' * 10000] * 1000)|map('string'))",
        # A list of a thousand references to one text, written out whole.
        "(['x' * 10000] * 1000)|join",
        "(['x' * 10000] * 1000)|string",
        "(['x' * 10000] * 1000)|pprint",
        "(['x' * 10000] * 1000) ~ ''",
    ],
)
def test_a_call_that_writes_many_times_what_it_is_given_is_measured_first(expression: str) -> None:
    """10 MB each here, written in one call before the output's limit could look (and 40 GB as easily)."""
    refused_before_it_builds(lambda: LimitedSandbox().render_limited("{% if " + expression + " %}built{% endif %}", {}))


def test_a_list_written_out_is_measured_before_it_is_written() -> None:
    refused_before_it_builds(lambda: LimitedSandbox().render_limited("{{ ['x' * 10000] * 1000 }}", {}))


def test_fair_replacements_joins_and_lists_still_write_their_text() -> None:
    template = (
        "{{ name|replace('A', 'a') }}|{{ name.replace('n', 'N', 1) }}|{{ ['a', 'b']|join(', ') }}|"
        "{{ ', '.join(['c', 'd']) }}|{{ [1, 'e'] }}|{{ ['f']|string }}|{{ 'g h'|wordwrap(1) }}|"
        "{{ [{'k': 'v'}] ~ '' }}|{{ parties|join(', ', attribute='name') }}|{{ 'ab'|join('-') }}|"
        "{{ '-'.join([1, 2]|map('string')) }}"
    )
    context = {"name": "Ann", "parties": [{"name": "Bo"}, {"name": "Cy"}]}
    assert LimitedSandbox().render_limited(template, context) == (
        "ann|ANn|a, b|c, d|[1, 'e']|['f']|g\nh|[{'k': 'v'}]|Bo, Cy|a-b|1-2"
    )
