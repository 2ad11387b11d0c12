"""Safe arithmetic formulas for derived KPIs, typed by an admin.

A formula is a tiny language: numbers, KPI codes, ``+ - * /``, unary minus and
parentheses. It is parsed by a hand-written recursive-descent parser into a small tree
and evaluated with Decimal arithmetic; nothing is ever handed to ``eval`` and no
Python object is reachable from a formula, so an admin cannot run code through it.

Positions in error messages count from 1, because they are read by the admin who typed
the formula, not by a programmer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from decimal import localcontext as _localcontext

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Formula",
    "FormulaError",
    "dependency_order",
    "parse",
]

MAX_LENGTH = 200
MAX_DEPTH = 20

# Pinned rather than inherited from the thread's current context, so a caller that
# changed precision or rounding elsewhere cannot change what a KPI formula returns.
# 28 digits is Decimal's default and leaves room for kopeck-exact sums in the trillions.
_CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

_OPERATOR_LIKE = set("%^<>=!&|~@.?:;[]{}\\'\"`$#")


class FormulaError(ValueError):
    """A formula the admin typed cannot be used; the message is shown to them as is."""


# --- tree -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Num:
    value: Decimal


@dataclass(frozen=True, slots=True)
class _Name:
    code: str


@dataclass(frozen=True, slots=True)
class _Neg:
    operand: _Node


@dataclass(frozen=True, slots=True)
class _Bin:
    op: str  # one of + - * /
    left: _Node
    right: _Node


_Node = _Num | _Name | _Neg | _Bin


def _walk_names(node: _Node) -> Iterator[str]:
    """Names in the order they are written, so anything derived from them is deterministic."""
    match node:
        case _Name(code):
            yield code
        case _Neg(operand):
            yield from _walk_names(operand)
        case _Bin(_, left, right):
            yield from _walk_names(left)
            yield from _walk_names(right)
        case _:
            pass


def _has_names(node: _Node) -> bool:
    return next(_walk_names(node), None) is not None


def _has_kpi_divisor(node: _Node) -> bool:
    match node:
        case _Bin("/", left, right):
            return _has_names(right) or _has_kpi_divisor(left) or _has_kpi_divisor(right)
        case _Bin(_, left, right):
            return _has_kpi_divisor(left) or _has_kpi_divisor(right)
        case _Neg(operand):
            return _has_kpi_divisor(operand)
        case _:
            return False


def _eval(node: _Node, values: Mapping[str, Decimal | None]) -> Decimal | None:
    match node:
        case _Num(value):
            return value
        case _Name(code):
            return _input(code, values.get(code))
        case _Neg(operand):
            inner = _eval(operand, values)
            return None if inner is None else -inner
        case _Bin(op, left_node, right_node):
            left = _eval(left_node, values)
            right = _eval(right_node, values)
            if left is None or right is None:
                return None
            if op == "+":
                return left + right
            if op == "-":
                return left - right
            if op == "*":
                return left * right
            # A zero divisor means "not applicable for this period" (an average check on a
            # day without deals), not an error: the screen shows a dash.
            if right == 0:
                return None
            return left / right
    raise AssertionError(f"unknown node {node!r}")  # pragma: no cover


def _input(code: str, raw: object) -> Decimal | None:
    if raw is None:
        return None
    # bool is an int subclass; True as "1 call" would hide a bug upstream.
    if isinstance(raw, bool) or not isinstance(raw, Decimal | int):
        raise TypeError(f"KPI {code!r}: expected Decimal or None, got {type(raw).__name__}")
    value = Decimal(raw)
    # A NaN or infinity cannot be a measured fact; treat it like a missing one.
    return value if value.is_finite() else None


# --- public value -----------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A parsed formula. Build it with :func:`parse`, not directly."""

    source: str
    names: frozenset[str]  # KPI codes referenced
    _tree: _Node = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Decimal | None]) -> Decimal | None:
        """The formula's value, or None when it is not applicable.

        None comes back when any referenced KPI is None (or absent from ``values``: a
        KPI without a fact for the period is the same as an unknown one) or when a
        division by zero happens. Arithmetic is Decimal only; floats are refused.
        """
        with _localcontext(_CONTEXT):
            return _eval(self._tree, values)

    def is_ratio(self) -> bool:
        """True when some division has a KPI in its divisor.

        Such a formula is not additive: a week's value must be computed from the week's
        sums, not by adding days. Dividing by a constant (``talk_time / 60``) keeps a
        formula additive, so it does not count.
        """
        return _has_kpi_divisor(self._tree)

    def ordered_names(self) -> tuple[str, ...]:
        """Referenced codes in the order first written (``names`` as a set has no order)."""
        return tuple(dict.fromkeys(_walk_names(self._tree)))


# --- tokenizer --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int  # 1-based
    value: Decimal | None = None


def _is_digit(ch: str) -> bool:
    # str.isdigit() accepts Arabic-Indic and other digits that Decimal would also take.
    return "0" <= ch <= "9"


def _is_name_start(ch: str) -> bool:
    return ch == "_" or "a" <= ch <= "z"


def _is_name_char(ch: str) -> bool:
    return _is_name_start(ch) or _is_digit(ch)


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        pos = i + 1
        if ch.isspace():
            i += 1
        elif _is_digit(ch):
            j = i
            while j < n and _is_digit(source[j]):
                j += 1
            # A comma is a decimal separator only between digits: Russian admins type
            # "1,5", and with no function calls a comma has no other meaning here.
            if j + 1 < n and source[j] in ".," and _is_digit(source[j + 1]):
                j += 1
                while j < n and _is_digit(source[j]):
                    j += 1
            if j < n and (source[j] in ".," and j + 1 < n and _is_digit(source[j + 1])):
                end = j
                while end < n and (_is_digit(source[end]) or source[end] in ".,"):
                    end += 1
                raise FormulaError(f"Invalid number '{source[i:end]}' at position {pos}")
            text = source[i:j]
            tokens.append(_Token("num", text, pos, Decimal(text.replace(",", "."))))
            i = j
        elif _is_name_start(ch):
            j = i
            while j < n and _is_name_char(source[j]):
                j += 1
            tokens.append(_Token("name", source[i:j], pos))
            i = j
        elif ch in "+-*/()":
            if source.startswith("**", i) or source.startswith("//", i):
                raise FormulaError(
                    f"Only + - * / and parentheses are allowed, found '{source[i : i + 2]}' "
                    f"at position {pos}"
                )
            tokens.append(_Token("op", ch, pos))
            i += 1
        elif "A" <= ch <= "Z":
            j = i
            while j < n and (_is_name_char(source[j]) or "A" <= source[j] <= "Z"):
                j += 1
            raise FormulaError(f"KPI codes are lowercase, found '{source[i:j]}' at position {pos}")
        elif ch.isalpha():
            raise FormulaError(
                f"KPI codes use only latin letters a-z, digits and '_', found '{ch}' "
                f"at position {pos}"
            )
        elif ch in _OPERATOR_LIKE:
            raise FormulaError(
                f"Only + - * / and parentheses are allowed, found '{ch}' at position {pos}"
            )
        else:
            raise FormulaError(f"Unexpected character '{ch}' at position {pos}")
    tokens.append(_Token("end", "", len(source) + 1))
    return tokens


# --- parser -----------------------------------------------------------------------------
#
#   expr   := term (("+" | "-") term)*
#   term   := unary (("*" | "/") unary)*
#   unary  := "-" unary | atom
#   atom   := NUMBER | NAME | "(" expr ")"


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def unexpected(self, tok: _Token) -> FormulaError:
        if tok.kind == "end":
            return FormulaError(
                "The formula ends too early: a number or KPI code is missing at the end"
            )
        return FormulaError(f"Unexpected token '{tok.text}' at position {tok.pos}")

    def parse(self) -> _Node:
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            if tok.text == ")":
                raise FormulaError(f"Unexpected token ')' at position {tok.pos}: no matching '('")
            raise self.unexpected(tok)
        return node

    def expr(self) -> _Node:
        node = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.take().text
            node = _Bin(op, node, self.term())
        return node

    def term(self) -> _Node:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.take().text
            right = self.unary()
            if op == "/" and not _has_names(right):
                divisor = _eval_constant(right)
                if divisor is None or divisor == 0:
                    raise FormulaError("The formula divides by zero")
            node = _Bin(op, node, right)
        return node

    def unary(self) -> _Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "-":
            self.take()
            # Counted as nesting too: it keeps the recursion bounded for "- - - - a".
            self.enter()
            try:
                return _Neg(self.unary())
            finally:
                self.depth -= 1
        return self.atom()

    def atom(self) -> _Node:
        tok = self.take()
        if tok.kind == "num":
            assert tok.value is not None
            return _Num(tok.value)
        if tok.kind == "name":
            if self.peek().kind == "op" and self.peek().text == "(":
                raise FormulaError(
                    f"Function calls are not allowed, found '{tok.text}(' at position {tok.pos}"
                )
            return _Name(tok.text)
        if tok.kind == "op" and tok.text == "(":
            self.enter()
            node = self.expr()
            closing = self.peek()
            if closing.kind == "end":
                raise FormulaError(f"The '(' at position {tok.pos} is never closed")
            if closing.text != ")":
                raise self.unexpected(closing)
            self.take()
            self.depth -= 1
            return node
        raise self.unexpected(tok)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"The formula is nested deeper than {MAX_DEPTH} levels")


def _eval_constant(node: _Node) -> Decimal | None:
    with _localcontext(_CONTEXT):
        return _eval(node, {})


# --- public functions -------------------------------------------------------------------


def parse(source: str, known: Collection[str] | None = None) -> Formula:
    """Parse a formula; raise :class:`FormulaError` with a message for the admin.

    With ``known``, every referenced KPI code must be in it.
    """
    if not isinstance(source, str):
        raise TypeError(f"formula source must be str, got {type(source).__name__}")
    if not source.strip():
        raise FormulaError("The formula is empty")
    if len(source) > MAX_LENGTH:
        raise FormulaError(
            f"The formula is {len(source)} characters long; at most {MAX_LENGTH} are allowed"
        )
    tree = _Parser(_tokenize(source)).parse()
    ordered = tuple(dict.fromkeys(_walk_names(tree)))
    if not ordered:
        raise FormulaError("A formula must use at least one KPI")
    if known is not None:
        known_set = known if isinstance(known, set | frozenset) else set(known)
        for code in ordered:
            if code not in known_set:
                raise FormulaError(f"Unknown KPI code '{code}'")
    return Formula(source=source, names=frozenset(ordered), _tree=tree)


def dependency_order(formulas: Mapping[str, Formula]) -> list[str]:
    """The codes of ``formulas`` ordered so every formula comes after those it uses.

    Names that are not keys of ``formulas`` are plain KPIs and need no ordering. The
    order is deterministic: mapping order, dependencies first in the order written.
    """
    order: list[str] = []
    done: set[str] = set()
    path: list[str] = []

    def visit(code: str) -> None:
        if code in done:
            return
        if code in path:
            cycle = [*path[path.index(code) :], code]
            raise FormulaError("Circular formula: " + " -> ".join(cycle))
        path.append(code)
        for dep in formulas[code].ordered_names():
            if dep in formulas:
                visit(dep)
        path.pop()
        done.add(code)
        order.append(code)

    for code in formulas:
        visit(code)
    return order
