"""What the C compiler does with a small function it can see: inline it (not a kernel
file).

``cgroup_is_dead()``, ``seq_has_overflowed()`` and ``IS_ERR()`` are ``static inline``
in the kernel's headers; ``bpf_iter_inc_seq_num()``, ``__cgroup_iter_seq_show()`` and
``css_next_child()`` are called from the same ``.c`` file they are defined in, where
the compiler inlines them.  ``bpf_iter_get_info()``, ``bpf_iter_run_prog()``
(kernel/bpf/bpf_iter.c) and ``css_next_descendant_pre()`` (kernel/cgroup/cgroup.c) are
called from cgroup_iter.c, another file: a kernel built with link-time optimization
(``CONFIG_LTO_CLANG``) may inline those too.  The kernel pays no call for them; CPython
pays about 100 ns a call, and on the walk's hot loop those calls were a third of the
time.  So the mirror keeps the calls in its source -- it reads like the kernel -- and
:func:`inline_calls` recompiles the few hot callers with the bodies of the functions
marked :func:`inlinable` in place of their calls, as the compiler would, then decides
the tests the arguments made constant (``first is None`` of a call with None) and drops
the branches not taken.

The source and the function objects stay the same; only the callers' ``__code__`` is
replaced.  An inlined body from the same file keeps its own line numbers, and
:data:`INLINED` says which lines of a recompiled caller are whose, so a trace still
places a step in the function whose source holds it (``__cgroup_iter_seq_show``, not
its caller).  A body from another file is placed at the line of the call it replaces
(a traceback, or a step recorded inside it, points at ``ret = bpf_iter_run_prog(prog,
ctx)``); a name of the callee's module that the caller's lacks is bound in the
caller's module under ``_inlined_<module>_<name>``, as an import would.  What is
inlined where:

* a call anywhere in an expression, of a function whose one statement is ``return
  <expression>``, with plain names as arguments;
* a call that is a statement of its own, of a function without ``return``;
* ``x = f(...)``, of a function whose ``return`` statements end its body or a branch
  of an ``if`` (each becomes ``x = ...``);
* ``return f(...)`` (a tail call), of any function.

Bodies with nested functions, ``with``, ``global``, comprehensions or generators are
left calls, and so is anything whose names do not mean the same in the caller's
module (an int constant of the callee's module is put in as its value).  Where the
source cannot be read (no ``.py`` files) nothing is inlined.

Example::

    >>> from cgiter_edu.kernel.seq_file import seq_has_overflowed
    >>> from cgiter_edu.kernel.bpf_iter import bpf_seq_read
    >>> seq_has_overflowed.__inlinable__, "seq_has_overflowed" in bpf_seq_read.__code__.co_names
    (True, False)
"""

from __future__ import annotations

import ast
import builtins
import inspect
import itertools
from collections.abc import Callable
from types import CodeType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: recompiled caller code -> ``[(first line, last line, qualname)]`` of the functions
#: inlined into it from the same file
INLINED: dict[CodeType, list[tuple[int, int, str]]] = {}

#: calls through a struct's function pointer: ``seq->op->next(seq, p)`` (``struct
#: seq_operations``), ``prog->bpf_func(ctx)`` (``struct bpf_prog``).  CPython compiles
#: ``a.b(...)`` as a method call, whose lookup it cannot specialize when ``b`` is a field
#: of the instance (tens of ns a call); in a recompiled caller such a call loads the
#: field, then calls it (``(f := a.b)(...)``), as C does.
INDIRECT = ("op.start", "op.next", "op.stop", "op.show", "bpf_func")

_FORBIDDEN = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Global,
              ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await, ast.With,
              ast.AsyncWith, ast.Import, ast.ImportFrom, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.Delete,
              getattr(ast, "TryStar", ast.With))
_count = itertools.count(1)
_callees: dict[Callable, Any] = {}        # function -> its _Callee (None: stays a call)


def inlinable(fn: F) -> F:
    """Mark ``fn`` as a function the C compiler inlines (``static inline``, called from
    its own ``.c`` file, or from another with link-time optimization):
    :func:`inline_calls` may put its body in place of a call.  The function itself is
    unchanged, and still callable."""
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
        nodes = list(ast.walk(fdef))
        if any(isinstance(node, _FORBIDDEN) for node in nodes[1:]):
            raise _Cannot
        self.fn = fn
        self.file = fn.__code__.co_filename
        self.span = (fdef.lineno, fdef.end_lineno or fdef.lineno, fn.__qualname__)
        self.params = [x.arg for x in a.args]
        self.body = body
        stores = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        stores |= {n.name for n in nodes if isinstance(n, ast.ExceptHandler) and n.name}
        self.assigned = stores
        self.locals = stores | set(self.params)
        self.returns = [n for n in nodes if isinstance(n, ast.Return)]
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


class _Fold(ast.NodeTransformer):
    """What the compiler does next: a test an inlined body made constant (an argument
    None or False, ``None is None``) is decided, and the branch not taken dropped."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if (len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot))
                and isinstance(node.left, ast.Constant)
                and isinstance(node.comparators[0], ast.Constant)):
            same = node.left.value is node.comparators[0].value
            return ast.copy_location(
                ast.Constant(value=same if isinstance(node.ops[0], ast.Is) else not same),
                node)
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Constant):
            return ast.copy_location(ast.Constant(value=not node.operand.value), node)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        decides = (lambda v: not v) if isinstance(node.op, ast.And) else bool
        values = list(node.values)
        while len(values) > 1 and isinstance(values[0], ast.Constant):
            if decides(values[0].value):        # False and ..., True or ...
                return values[0]
            values.pop(0)                       # True and x, False or x: x
        if len(values) == 1:
            return values[0]
        node.values = values
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant):
            return node.body if node.test.value else node.orelse
        return node

    def visit_If(self, node: ast.If) -> Any:
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant):
            return (node.body if node.test.value else node.orelse) or ast.copy_location(
                ast.Pass(), node)
        if not node.body:
            node.body = [ast.copy_location(ast.Pass(), node)]
        return node

    def visit_While(self, node: ast.While) -> Any:
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant) and not node.test.value and not node.orelse:
            return ast.copy_location(ast.Pass(), node)
        if not node.body:
            node.body = [ast.copy_location(ast.Pass(), node)]
        return node


def _clone(node: Any) -> Any:
    """A copy of an AST (``copy.deepcopy`` takes ten times as long)."""
    if isinstance(node, list):
        return [_clone(x) for x in node]
    if isinstance(node, ast.AST):
        new = type(node)()
        new.__dict__.update({k: _clone(v) for k, v in node.__dict__.items()})
        return new
    return node                           # a name, a number, a constant: immutable


def _dotted_tail(node: ast.AST) -> str:
    """``"op.next"`` of ``seq.op.next``: the attribute names at the end of a chain."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join(reversed(parts))


class _Indirect(ast.NodeTransformer):
    """``seq.op.next(seq, p)`` -> ``(next__fp := seq.op.next)(seq, p)``: a load of the
    field and a call, not a method call (see :data:`INDIRECT`)."""

    def __init__(self) -> None:
        self.done = 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Attribute) and any(
                (tail := _dotted_tail(f)) == d or tail.endswith("." + d) for d in INDIRECT):
            node.func = ast.copy_location(ast.NamedExpr(
                target=ast.Name(id=f"{f.attr}__fp", ctx=ast.Store()), value=f), f)
            self.done += 1
        return node


def _returns(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Return) for n in ast.walk(node))


def _assigning(body: list[ast.stmt], target: str, where: ast.AST) -> list[ast.stmt]:
    """``body`` with each ``return x`` made ``target = x``: a return must end its block,
    at the top or in an ``if``'s branch (what follows the ``if`` goes into each branch
    that does not return); falling off the end assigns None."""
    out: list[ast.stmt] = []
    for i, s in enumerate(body):
        if isinstance(s, ast.Return):
            if isinstance(s.value, ast.Name) and s.value.id == target:
                return out or [ast.copy_location(ast.Pass(), s)]     # already there
            out.append(ast.copy_location(ast.Assign(
                targets=[ast.Name(id=target, ctx=ast.Store())],
                value=s.value if s.value is not None else ast.Constant(value=None)), s))
            return out
        if isinstance(s, ast.If) and _returns(s):
            rest = body[i + 1:]
            s.body = _assigning(s.body + _clone(rest), target, s)
            s.orelse = _assigning(s.orelse + _clone(rest), target, s)
            out.append(s)
            return out
        if _returns(s):                            # in a loop, a try: stays a call
            raise _Cannot
        out.append(s)
    out.append(ast.copy_location(ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())],
                                            value=ast.Constant(value=None)), where))
    return out


class _Inliner(ast.NodeTransformer):
    def __init__(self, fn: Callable) -> None:
        self.globals = fn.__globals__
        self.file = fn.__code__.co_filename
        self.cache = _callees
        self.stack: list[Callable] = []
        self.spans: list[tuple[int, int, str]] = []
        self.done = 0

    # -- the names of an inlined body, in the caller ------------------------------------
    def _free(self, c: _Callee, node: ast.Name) -> ast.AST:
        name = node.id
        cg = c.fn.__globals__
        if name in cg:
            value = cg[name]
            if self.globals.get(name, _Cannot) is value:
                return node
            if type(value) is int:
                return ast.copy_location(ast.Constant(value=value), node)
            # another file's name the caller's module lacks (or means otherwise by):
            # bound in the caller's module under a name of its own, as an import would
            alias = f"_inlined_{cg.get('__name__', '').rpartition('.')[2]}_{name}"
            if self.globals.setdefault(alias, value) is not value:
                raise _Cannot
            return ast.copy_location(ast.Name(id=alias, ctx=node.ctx), node)
        if hasattr(builtins, name) and name not in self.globals:
            return node
        raise _Cannot

    def _rewrite(self, c: _Callee, tree: ast.AST, subst: dict[str, ast.AST],
                 rename: dict[str, str], at: ast.AST | None) -> ast.AST:
        outer = self

        class Names(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:
                if node.id in subst:
                    return ast.copy_location(_clone(subst[node.id]), node)
                if node.id in rename:
                    return ast.copy_location(ast.Name(id=rename[node.id], ctx=node.ctx), node)
                return outer._free(c, node)

            def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
                self.generic_visit(node)
                if node.name:
                    node.name = rename[node.name]
                return node

        new = Names().visit(_clone(tree))
        if at is not None:                    # put where the call is (another file's body)
            for n in ast.walk(new):
                if "lineno" in n._attributes:
                    ast.copy_location(n, at)
        return new

    def _expand(self, c: _Callee, call: ast.Call, target: str | None, tail: bool
                ) -> list[ast.stmt]:
        """The body of ``c`` for ``call``: parameters bound, locals renamed; each
        ``return`` becomes ``target = ...`` (or stays a return for a tail call).  A body
        from another file is placed at the call's line."""
        if c.fn in self.stack:
            raise _Cannot
        at = None if c.file == self.file else call
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
        if target is not None:
            # ``x = f(...)`` of an ``f`` that returns one local of its own: that local
            # is ``x`` (no copy), unless an argument put in unchanged is named ``x``
            names = {r.value.id if isinstance(r.value, ast.Name) else None
                     for r in c.returns}
            v = names.pop() if len(names) == 1 else None
            if (v is not None and v in c.assigned and v not in c.params
                    and not any(isinstance(a, ast.Name) and a.id == target
                                for a in subst.values())):
                rename[v] = target
        body = [self._rewrite(c, s, subst, rename, at) for s in c.body]
        if tail and not isinstance(body[-1], ast.Return):       # falls off its end
            body.append(ast.copy_location(ast.Return(value=None), body[-1]))
        if target is not None:
            body = _assigning(body, target, body[-1])
        out.extend(body)
        self.stack.append(c.fn)
        try:
            expanded: list[ast.stmt] = []
            for s in out:                           # what the inlined body calls, too
                r = self.visit(s)
                expanded.extend(r if isinstance(r, list) else [r])
        finally:
            self.stack.pop()
        if at is None:
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
                and isinstance(node.targets[0], ast.Name) and c.returns):
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
        indirect = _Indirect()
        tree = indirect.visit(_Fold().visit(tree))
        if not (inliner.done or indirect.done):
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
