"""What the C compiler does with a small function it can see: inline it (not a kernel
file).

``cgroup_is_dead()``, ``seq_has_overflowed()`` and ``IS_ERR()`` are ``static inline``
in the kernel's headers; ``bpf_iter_inc_seq_num()``, ``__cgroup_iter_seq_show()`` and
``css_next_child()`` are called from the same ``.c`` file they are defined in, where
the compiler inlines them.  The kernel pays no call for them; CPython pays about 100 ns
a call, and on the walk's hot loop those calls were a third of the time.  So the mirror
keeps the calls in its source -- it reads like the kernel -- and :func:`inline_calls`
recompiles the few hot callers with the bodies of the functions marked
:func:`inlinable` in place of their calls, as the compiler would.

The source and the function objects stay the same; only the callers' ``__code__`` is
replaced.  An inlined body keeps its own line numbers (it is in the same file), and
:data:`INLINED` says which lines of a recompiled caller are whose, so a trace still
places a step in the function whose source holds it (``__cgroup_iter_seq_show``, not
its caller).  What is inlined where:

* a call anywhere in an expression, of a function whose one statement is ``return
  <expression>``, with plain names as arguments;
* a call that is a statement of its own, of a function without ``return``;
* ``x = f(...)``, of a function whose one ``return`` is its last statement;
* ``return f(...)`` (a tail call), of any function.

Bodies with nested functions, ``try``, ``with``, ``global``, comprehensions or
generators are left calls, and so is anything whose names do not mean the same in
the caller's module (an int constant of the callee's module is put in as its value).
Where the source cannot be read (no ``.py`` files) nothing is inlined.

Example::

    >>> from cgiter_edu.kernel.seq_file import seq_has_overflowed
    >>> from cgiter_edu.kernel.bpf_iter import bpf_seq_read
    >>> seq_has_overflowed.__inlinable__, "seq_has_overflowed" in bpf_seq_read.__code__.co_names
    (True, False)
"""

from __future__ import annotations

import ast
import builtins
import copy
import inspect
import itertools
from collections.abc import Callable
from types import CodeType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: recompiled caller code -> ``[(first line, last line, qualname)]`` of the functions
#: inlined into it from the same file
INLINED: dict[CodeType, list[tuple[int, int, str]]] = {}

_FORBIDDEN = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Global,
              ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await, ast.Try, ast.With,
              ast.AsyncWith, ast.Import, ast.ImportFrom, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.Delete)
_count = itertools.count(1)


def inlinable(fn: F) -> F:
    """Mark ``fn`` as a function the C compiler inlines (``static inline``, or called
    from its own ``.c`` file): :func:`inline_calls` may put its body in place of a call.
    The function itself is unchanged, and still callable."""
    fn.__inlinable__ = True
    return fn


class _Cannot(Exception):
    """This call stays a call."""


class _Callee:
    """What inlining a function needs from its source."""

    def __init__(self, fn: Callable) -> None:
        try:
            lines, first = inspect.getsourcelines(fn)
        except (OSError, TypeError) as e:
            raise _Cannot from e
        tree = ast.parse("".join(lines))
        ast.increment_lineno(tree, first - 1)
        fdef = tree.body[0]
        if not isinstance(fdef, ast.FunctionDef):
            raise _Cannot
        body = fdef.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]                                  # the docstring
        a = fdef.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs or not body:
            raise _Cannot
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(node, _FORBIDDEN):
                raise _Cannot
        self.fn = fn
        self.file = fn.__code__.co_filename
        self.span = (fdef.lineno, fdef.end_lineno or fdef.lineno, fn.__qualname__)
        self.params = [x.arg for x in a.args]
        self.body = body
        stores = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
        self.assigned = stores
        self.locals = stores | set(self.params)
        self.returns = [n for n in ast.walk(fdef) if isinstance(n, ast.Return)]
        only = body[0] if len(body) == 1 else None
        #: ``return <expression>`` alone
        self.expression = (only.value if isinstance(only, ast.Return) and only.value
                           is not None else None)


def _callee(globals_: dict[str, Any], call: ast.AST, cache: dict) -> _Callee | None:
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and not call.keywords and not any(isinstance(a, ast.Starred) for a in call.args)):
        return None
    fn = globals_.get(call.func.id)
    if not getattr(fn, "__inlinable__", False):
        return None
    if fn not in cache:
        try:
            cache[fn] = _Callee(fn)
        except (_Cannot, SyntaxError):
            cache[fn] = None
    c = cache[fn]
    if c is None or len(c.params) != len(call.args):
        return None
    return c


class _Inliner(ast.NodeTransformer):
    def __init__(self, fn: Callable) -> None:
        self.globals = fn.__globals__
        self.file = fn.__code__.co_filename
        self.cache: dict = {}
        self.stack: list[Callable] = []
        self.spans: list[tuple[int, int, str]] = []
        self.done = 0

    # -- the names of an inlined body, in the caller ------------------------------------
    def _free(self, c: _Callee, node: ast.Name) -> ast.AST:
        name = node.id
        cg = c.fn.__globals__
        if name in cg:
            if self.globals.get(name, _Cannot) is cg[name]:
                return node
            if type(cg[name]) is int:
                return ast.copy_location(ast.Constant(value=cg[name]), node)
            raise _Cannot
        if hasattr(builtins, name) and name not in self.globals:
            return node
        raise _Cannot

    def _rewrite(self, c: _Callee, tree: ast.AST, subst: dict[str, ast.AST],
                 rename: dict[str, str], at: ast.AST | None) -> ast.AST:
        outer = self

        class Names(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:
                if node.id in subst:
                    return ast.copy_location(copy.deepcopy(subst[node.id]), node)
                if node.id in rename:
                    return ast.copy_location(ast.Name(id=rename[node.id], ctx=node.ctx), node)
                return outer._free(c, node)

        new = Names().visit(copy.deepcopy(tree))
        if at is not None:                    # put where the call is (another file's body)
            for n in ast.walk(new):
                if "lineno" in n._attributes:
                    ast.copy_location(n, at)
        return new

    def _expand(self, c: _Callee, call: ast.Call, target: str | None, tail: bool
                ) -> list[ast.stmt]:
        """The body of ``c`` for ``call``: parameters bound, locals renamed; the last
        ``return`` becomes ``target = ...`` (or stays a return for a tail call)."""
        if c.file != self.file or c.fn in self.stack:
            raise _Cannot
        k = next(_count)
        rename = {name: f"{name}__{k}" for name in c.locals}
        subst: dict[str, ast.AST] = {}
        out: list[ast.stmt] = []
        for p, arg in zip(c.params, call.args, strict=True):
            if p not in c.assigned and isinstance(arg, (ast.Name, ast.Constant)):
                subst[p] = arg                       # no temporary: a name or a constant
            else:
                out.append(ast.copy_location(
                    ast.Assign(targets=[ast.Name(id=rename[p], ctx=ast.Store())], value=arg),
                    call))
        body = [self._rewrite(c, s, subst, rename, None) for s in c.body]
        if tail and not isinstance(body[-1], ast.Return):       # falls off its end
            body.append(ast.copy_location(ast.Return(value=None), body[-1]))
        if target is not None:
            last = body[-1]
            body[-1] = ast.copy_location(ast.Assign(
                targets=[ast.Name(id=target, ctx=ast.Store())],
                value=last.value if last.value is not None else ast.Constant(value=None)),
                last)
        out.extend(body)
        self.stack.append(c.fn)
        try:
            expanded: list[ast.stmt] = []
            for s in out:                           # what the inlined body calls, too
                r = self.visit(s)
                expanded.extend(r if isinstance(r, list) else [r])
        finally:
            self.stack.pop()
        self.spans.append(c.span)
        self.done += 1
        return expanded

    # -- the four places a call can be inlined --------------------------------------------
    def visit_Expr(self, node: ast.Expr) -> Any:
        c = _callee(self.globals, node.value, self.cache)
        if c is not None and not c.returns:
            try:
                return self._expand(c, node.value, None, False)
            except _Cannot:
                pass
        return self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> Any:
        c = _callee(self.globals, node.value, self.cache)
        if (c is not None and c.expression is None and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and len(c.returns) == 1
                and c.returns[0] is c.body[-1]):
            try:
                return self._expand(c, node.value, node.targets[0].id, False)
            except _Cannot:
                pass
        return self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> Any:
        c = _callee(self.globals, node.value, self.cache) if node.value else None
        if c is not None and c.expression is None:
            try:
                return self._expand(c, node.value, None, True)
            except _Cannot:
                pass
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        c = _callee(self.globals, node, self.cache)
        if (c is not None and c.expression is not None
                and all(isinstance(a, ast.Name) for a in node.args)
                and not (c.assigned & set(c.params))):
            try:
                new = self._rewrite(c, c.expression, dict(zip(c.params, node.args, strict=True)), {},
                                    node)
            except _Cannot:
                return node
            self.done += 1
            return new
        return node


def inline_calls(*callers: Callable) -> int:
    """Recompile each of ``callers`` (module-level functions without closures) with the
    calls of :func:`inlinable` functions replaced by their bodies; returns how many
    calls were inlined."""
    total = 0
    for fn in callers:
        try:
            lines, first = inspect.getsourcelines(fn)
        except (OSError, TypeError):
            continue
        tree = ast.parse("".join(lines))
        ast.increment_lineno(tree, first - 1)
        fdef = tree.body[0]
        fdef.decorator_list = []
        inliner = _Inliner(fn)
        fdef.body = [r for s in fdef.body
                     for r in (lambda x: x if isinstance(x, list) else [x])(inliner.visit(s))]
        if not inliner.done:
            continue
        tree = ast.fix_missing_locations(tree)
        code = compile(tree, fn.__code__.co_filename, "exec",
                       flags=annotations.compiler_flag, dont_inherit=True)
        ns: dict[str, Any] = {}
        exec(code, fn.__globals__, ns)
        new = ns[fn.__name__].__code__
        if new.co_freevars != fn.__code__.co_freevars:   # pragma: no cover
            continue
        new = new.replace(co_qualname=fn.__code__.co_qualname) if hasattr(
            new, "co_qualname") else new
        fn.__code__ = new
        if inliner.spans:
            INLINED[new] = sorted(set(inliner.spans))
        total += inliner.done
    return total


def origin(code: CodeType, line: int) -> str | None:
    """The qualname of the function inlined into ``code`` whose source holds ``line``,
    or None (the line is the caller's own)."""
    for first, last, qualname in INLINED.get(code, ()):
        if first <= line <= last:
            return qualname
    return None
