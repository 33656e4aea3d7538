"""Jinja's code generator and context, with less Python work per output, call and attribute.

Jinja compiles a template into Python that, for each ``{{ ... }}`` and each piece of text between
them, resumes a generator (``yield``), and for each value printed calls ``markupsafe.escape`` (a Python
function in MarkupSafe 3 that builds a ``Markup`` the page then only joins), for each function called
``Context.call`` (which looks for ``pass_context`` and the like three times) and for each ``a.b``
``Environment.getattr``. On a case page that was some 3,500 Python calls. Set on the application's
environment (``casework.core.templating.JinjaEnvironment``), these do the same with fewer:

- **One yield per output statement.** The pieces of an output statement (text and expressions, up to
  the next tag) are joined and yielded once. What the page shows is the same: Jinja joins every piece
  into one string anyway, and an error raised by any piece still ends the render.
- **Strings escaped without a ``Markup`` in between.** A plain ``str`` printed with autoescape on is
  escaped in place by MarkupSafe's own ``_escape_inner`` (what ``markupsafe.escape`` calls: the same
  characters replaced the same way), anything else by ``escape_output``: a ``Markup`` printed as it
  is (``escape`` would copy it), an ``int`` as its digits, the rest (a float, ``None``, an
  ``Undefined``, an object with ``__html__``) through ``markupsafe.escape`` as before. The result
  is only ever joined into the output, never seen by a template, so it need not be ``Markup``.
- **Plain functions called directly.** ``Context.call`` for a Python function, bound method or
  builtin that carries no ``jinja_pass_arg`` (``pass_context`` and the like) calls it with the
  arguments given; everything else (macros, callable objects, functions asking for the context) goes
  through Jinja's own ``Context.call``.
- **A block captured by ``{% set %}`` added in one call.** Its pieces go into the buffer with one
  ``extend``, not one ``append`` each (the layout captures every page's content that way).
- **Names looked up without a call.** A global or a variable given to the render, read where a
  function of the compiled template begins, is looked up in the context's dicts as
  ``Context.resolve_or_missing`` does, not by calling it.
- **Attributes read with one builtin call.** ``a.b`` is ``getattr(a, "b", missing)``, and only when
  ``a`` has no attribute ``b`` Jinja's ``Environment.getattr`` (an item ``a["b"]``, else undefined),
  as before.

``tests/core/test_jinja_compiler.py`` renders templates of every construct with this and with Jinja's
own, and compares.
"""

from __future__ import annotations

import typing as t
from types import BuiltinFunctionType, FunctionType, MethodType

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.idtracking import VAR_LOAD_ALIAS, VAR_LOAD_PARAMETER, VAR_LOAD_RESOLVE, VAR_LOAD_UNDEFINED
from jinja2.runtime import Context
from markupsafe import Markup, escape
from markupsafe._speedups import _escape_inner

__all__ = ["FastCodeGenerator", "FastContext", "escape_output"]


def escape_output(value: t.Any) -> str:
    """A value printed with autoescape on, escaped as ``markupsafe.escape`` does: for a ``str``, its
    ``_escape_inner`` without the ``Markup`` around it."""
    if type(value) is str:
        return _escape_inner(value)
    if type(value) is Markup:
        return value  # what escape gives, but for the copy (Markup's own __html__ is itself)
    if type(value) is int:
        return str(value)  # digits and a minus sign: nothing to escape
    return escape(value)


#: What ``escape_output`` and MarkupSafe's ``_escape_inner`` are called in compiled templates.
_ESCAPE, _ESCAPE_STR = "_cw_escape_output", "_cw_escape_str"
#: Names of the compiled templates' own, which Jinja's never start with (``l_``, ``t_``, ``_loop_vars``).
_GOT, _OBJ, _OUT = "_cw_got", "_cw_obj", "_cw_out"


class FastContext(Context):
    """Jinja's context, whose ``call`` calls a plain function directly (see the module)."""

    def call(__self, __obj: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
        kind = type(__obj)
        if kind is FunctionType:
            # A function's attributes are its __dict__ (pass_context sets jinja_pass_arg there, and
            # functools.wraps copies it): looked up without hasattr's call.
            if "jinja_pass_arg" in __obj.__dict__:
                return super().call(__obj, *args, **kwargs)
        elif kind is MethodType:
            if hasattr(__obj, "jinja_pass_arg"):  # the function's, through the method
                return super().call(__obj, *args, **kwargs)
        elif kind is not BuiltinFunctionType:  # a builtin carries no attributes of its own
            return super().call(__obj, *args, **kwargs)
        if kwargs:  # without pop's two calls for every call made in a loop or a block
            if "_block_vars" in kwargs:
                del kwargs["_block_vars"]  # noqa: RUF051
            if "_loop_vars" in kwargs:
                del kwargs["_loop_vars"]  # noqa: RUF051
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class FastCodeGenerator(CodeGenerator):
    """Jinja's code generator, with one yield per output statement, cheaper escaping of strings and
    attributes read with one builtin call (see the module)."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self.writeline(f"from casework.core.jinja_compiler import escape_output as {_ESCAPE}")
        self.writeline(f"from markupsafe._speedups import _escape_inner as {_ESCAPE_STR}")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: t.Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        # A str escaped in place (no Python call), anything else by escape_output: the condition is
        # evaluated first, so the value is computed once, into a name of the function's own.
        self.write(f"({_ESCAPE_STR}({_OUT}) if type({_OUT} := ")
        if finalize.src is not None:
            self.write(finalize.src)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: t.Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_post(node, frame, finalize)
            return
        if finalize.src is not None:
            self.write(")")
        self.write(f") is str else {_ESCAPE}({_OUT}))")

    def visit_Block(self, node: nodes.Block, frame: Frame) -> None:
        if frame.buffer is None or self.environment.is_async or node.required or frame.toplevel:
            super().visit_Block(node, frame)
            return
        # A block captured into a buffer (``{% set x %}{% block b %}...``): its pieces added to the
        # buffer by one ``extend``, not one ``append`` each.
        context = self.derive_context(frame) if node.scoped else self.get_context_ref()
        self.writeline(f"gen = context.blocks[{node.name!r}][0]({context})")
        self.writeline("try:")
        self.indent()
        self.writeline(f"{frame.buffer}.extend(gen)", node)
        self.outdent()
        self.writeline("finally: gen.close()")

    def enter_frame(self, frame: Frame) -> None:
        # As Jinja's, but a name looked up in the context (a global, a variable given to the render)
        # is read as Context.resolve_or_missing reads it, without calling it: the template's own
        # variables, then its parent's, else missing.
        if self.get_resolve_func() != "resolve":
            super().enter_frame(frame)
            return
        undefs = []
        for target, (action, param) in frame.symbols.loads.items():
            if action == VAR_LOAD_PARAMETER:
                pass
            elif action == VAR_LOAD_RESOLVE:
                self.writeline(
                    f"{target} = context.vars[{param!r}] if {param!r} in context.vars else "
                    f"(context.parent[{param!r}] if {param!r} in context.parent else missing)"
                )
            elif action == VAR_LOAD_ALIAS:
                self.writeline(f"{target} = {param}")
            elif action == VAR_LOAD_UNDEFINED:
                undefs.append(target)
            else:
                raise NotImplementedError("unknown load instruction")
        if undefs:
            self.writeline(f"{' = '.join(undefs)} = missing")

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        if self.environment.is_async or self.environment.sandboxed:
            super().visit_Getattr(node, frame)
            return
        # The object is evaluated once, into a name of the function's own; a nested ``a.b.c`` assigns
        # the names again only once its inner part is evaluated, so each level reads its own.
        self.write(f"({_GOT} if ({_GOT} := getattr(({_OBJ} := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, missing)) is not missing else environment.getattr({_OBJ}, {node.attr!r}))")

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None or self.environment.is_async:
            super().visit_Output(node, frame)  # appended to a list in one call already
            return
        # As Jinja's visit_Output, but the pieces yielded as one string.
        if frame.require_output_check:
            if self.has_known_extends:
                return
            self.writeline("if parent_template is None:")
            self.indent()

        finalize = self._make_finalize()
        body: list[list[t.Any] | nodes.Expr] = []
        for child in node.nodes:
            try:
                if not (finalize.const or isinstance(child, nodes.TemplateData)):
                    raise nodes.Impossible()
                const = self._output_child_to_const(child, frame, finalize)
            except (nodes.Impossible, Exception):
                body.append(child)
                continue
            if body and isinstance(body[-1], list):
                body[-1].append(const)
            else:
                body.append([const])

        if len(body) == 1:
            self.writeline("yield ", node)
        else:
            self.writeline("yield ''.join((", node)
        for position, item in enumerate(body):
            if position:
                self.write(", ")
            if isinstance(item, list):
                self.write(self._output_const_repr(item))
            else:
                self._output_child_pre(item, frame, finalize)
                self.visit(item, frame)
                self._output_child_post(item, frame, finalize)
        if len(body) != 1:
            self.write("))")

        if frame.require_output_check:
            self.outdent()
