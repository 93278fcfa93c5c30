"""Bug candidates in SWE-smith's procedural style: small changes to one node of a function's syntax tree.

SWE-smith's procedural modifiers (ControlIfElseInvert, RemoveConditional, RemoveAssignment, OperationFlipOperator,
OperationSwapOperands, OperationChangeConstants, ...) walk a function's AST and rewrite it. Ours keep their idea and
change the edit: instead of re-printing the whole function (which drops its comments and reformats it), we splice
the re-printed mutated node back into the original source at the node's exact position, so the diff is the bug and
nothing else. The kinds:

    flip_comparison   <  <-> <=, > <-> >=, == <-> !=, in <-> not in, is <-> is not
    flip_boolean      and <-> or
    flip_arithmetic   + <-> -, * <-> //, ...
    off_by_one        an integer constant n -> n + 1 (or n - 1 for n > 1)
    swap_arguments    the first two positional arguments of a call
    wrong_return      `return X` -> `return None` (or the negation of a boolean return)
    drop_statement    an assignment, expression statement or augmented assignment removed (a `pass` keeps the block)
    drop_branch       the else/elif part of an if removed
    change_constant   True <-> False
    invert_condition  `if c:` -> `if not c:`

A candidate is only a candidate: generate.py keeps it as a task only if some tests that pass on the clean code fail
on the changed code.
"""

from __future__ import annotations

import ast
import copy
import random
from dataclasses import dataclass
from typing import Callable, Iterator

KINDS = ("flip_comparison", "flip_boolean", "flip_arithmetic", "off_by_one", "swap_arguments", "wrong_return",
         "drop_statement", "drop_branch", "change_constant", "invert_condition")

_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
        ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult, ast.Div: ast.Mult,
          ast.Mod: ast.FloorDiv, ast.LShift: ast.RShift, ast.RShift: ast.LShift, ast.BitAnd: ast.BitOr,
          ast.BitOr: ast.BitAnd}


@dataclass(frozen=True)
class Bug:
    """One candidate: the file, what changed, and the whole changed file text."""

    path: str
    kind: str
    function: str
    lineno: int
    before: str
    """The original source segment that was replaced."""
    after: str
    """What replaced it."""
    source: str
    """The whole changed file."""


def _segment(lines: list[str], node: ast.AST) -> tuple[int, int, int, int]:
    return node.lineno, node.col_offset, node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]


def _splice(source: str, node: ast.AST, text: str) -> tuple[str, str]:
    """Replace `node`'s exact source span with `text`; returns (new source, old segment)."""
    lines = source.splitlines(keepends=True)
    l0, c0, l1, c1 = _segment(lines, node)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln.encode("utf-8")))
    raw = source.encode("utf-8")
    start, end = offsets[l0 - 1] + c0, offsets[l1 - 1] + c1
    return (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8"), raw[start:end].decode("utf-8")


def _stmt_lines(source: str, stmt: ast.stmt, replacement: str | None) -> tuple[str, str]:
    """Replace whole lines of a statement (decorators not involved) by `replacement` at its indentation."""
    lines = source.splitlines(keepends=True)
    l0, l1 = stmt.lineno, stmt.end_lineno  # type: ignore[attr-defined]
    old = "".join(lines[l0 - 1:l1])
    indent = lines[l0 - 1][: len(lines[l0 - 1]) - len(lines[l0 - 1].lstrip())]
    new = "" if replacement is None else indent + replacement + "\n"
    return "".join(lines[: l0 - 1]) + new + "".join(lines[l1:]), old


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    def walk(node: ast.AST, prefix: str) -> Iterator:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                yield name, child
                yield from walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
    yield from walk(tree, "")


def _single_line(node: ast.AST) -> bool:
    return getattr(node, "lineno", None) == getattr(node, "end_lineno", -1)


def _mutations(fn: ast.AST) -> Iterator[tuple[str, ast.AST, Callable[[str], tuple[str, str] | None]]]:
    """(kind, node, apply(source) -> (new source, old segment) or None) for every site in one function."""
    body_nodes = [n for n in ast.walk(fn) if n is not fn]
    # nested functions are visited on their own
    for node in body_nodes:
        if isinstance(node, ast.Compare) and _single_line(node) and len(node.ops) == 1 and type(node.ops[0]) in _CMP:
            def apply(src, node=node):
                new = copy.deepcopy(node)
                new.ops = [_CMP[type(node.ops[0])]()]
                return _splice(src, node, ast.unparse(new))
            yield "flip_comparison", node, apply
        elif isinstance(node, ast.BoolOp) and _single_line(node):
            def apply(src, node=node):
                new = copy.deepcopy(node)
                new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
                return _splice(src, node, ast.unparse(new))
            yield "flip_boolean", node, apply
        elif isinstance(node, ast.BinOp) and _single_line(node) and type(node.op) in _ARITH \
                and not (isinstance(node.op, ast.Mod) and isinstance(node.left, (ast.Constant, ast.JoinedStr))):
            def apply(src, node=node):  # (a string's % formatting is skipped: "%s" // x is not a plausible bug)
                new = copy.deepcopy(node)
                new.op = _ARITH[type(node.op)]()
                return _splice(src, node, ast.unparse(new))
            yield "flip_arithmetic", node, apply
        elif isinstance(node, ast.Constant) and type(node.value) is int and _single_line(node) and node.value < 10**6:
            def apply(src, node=node):
                v = node.value
                return _splice(src, node, str(v + 1 if v <= 1 else v - 1))
            yield "off_by_one", node, apply
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            def apply(src, node=node):
                return _splice(src, node, str(not node.value))
            yield "change_constant", node, apply
        elif isinstance(node, ast.Call) and _single_line(node) and len(node.args) >= 2 \
                and not any(isinstance(a, ast.Starred) for a in node.args[:2]) \
                and ast.unparse(node.args[0]) != ast.unparse(node.args[1]):
            def apply(src, node=node):
                new = copy.deepcopy(node)
                new.args[0], new.args[1] = new.args[1], new.args[0]
                return _splice(src, node, ast.unparse(new))
            yield "swap_arguments", node, apply
        elif isinstance(node, ast.Return) and node.value is not None and _single_line(node):
            def apply(src, node=node):
                v = node.value
                if isinstance(v, ast.Constant) and v.value is None:
                    return None
                if isinstance(v, (ast.Compare, ast.BoolOp)) or (isinstance(v, ast.UnaryOp) and
                                                               isinstance(v.op, ast.Not)):
                    return _splice(src, v, f"not ({ast.unparse(v)})")
                return _splice(src, v, "None")
            yield "wrong_return", node, apply
        elif isinstance(node, ast.If):
            if node.orelse:
                def apply(src, node=node):
                    lines = src.splitlines(keepends=True)
                    first = node.orelse[0]
                    # the `else:` line (or the `elif` line) through the end of the if statement
                    start = first.lineno - 1 if isinstance(first, ast.If) and len(node.orelse) == 1 and \
                        lines[first.lineno - 1].lstrip().startswith("elif") else first.lineno - 2
                    if not lines[start].lstrip().startswith(("else", "elif")):
                        return None
                    old = "".join(lines[start:node.end_lineno])
                    return "".join(lines[:start]) + "".join(lines[node.end_lineno:]), old
                yield "drop_branch", node, apply
            if _single_line(node.test):
                def apply(src, node=node):
                    return _splice(src, node.test, f"not ({ast.unparse(node.test)})")
                yield "invert_condition", node, apply
    for block_owner in [fn, *(n for n in body_nodes if hasattr(n, "body"))]:
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(block_owner, field, None)
            if not isinstance(stmts, list):
                continue
            for i, stmt in enumerate(stmts):
                if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Expr, ast.AnnAssign)) and \
                        not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):  # docstrings
                    def apply(src, stmt=stmt, alone=len(stmts) == 1):
                        return _stmt_lines(src, stmt, "pass" if alone else None)
                    yield "drop_statement", stmt, apply


def candidates(path: str, source: str, rng: random.Random, *, limit: int = 40) -> list[Bug]:
    """Up to `limit` distinct candidates in one file, drawn with `rng` (deterministic for a seeded rng). A kind is
    picked first (uniformly among the kinds the file has), then a site of that kind, so the common ones (constants,
    statements) do not crowd out the rest."""
    tree = ast.parse(source)
    sites: dict[str, list[tuple[str, ast.AST, Callable]]] = {}
    for name, fn in _functions(tree):
        if name.split(".")[-1].startswith("test"):
            continue
        for kind, node, apply in _mutations(fn):
            sites.setdefault(kind, []).append((name, node, apply))
    out: list[Bug] = []
    seen: set[str] = set()
    kinds = sorted(sites)
    attempts = 0
    while kinds and len(out) < limit and attempts < limit * 20:
        attempts += 1
        kind = rng.choice(kinds)
        name, node, apply = rng.choice(sites[kind])
        result = apply(source)
        if result is None:
            continue
        new_source, old = result
        if new_source == source or new_source in seen:
            continue
        try:
            ast.parse(new_source)
        except SyntaxError:
            continue
        seen.add(new_source)
        after = new_source[len(_common_prefix(source, new_source)):]
        out.append(Bug(path=path, kind=kind, function=name, lineno=node.lineno, before=old,
                       after=after[: len(after) - len(_common_suffix(source, new_source))] if after else "",
                       source=new_source))
    return out


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


def _common_suffix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(reversed(a), reversed(b)):
        if x != y:
            break
        n += 1
    return a[len(a) - n:] if n else ""
