"""One notation on the terminal: Unicode mathematics, never LaTeX source or SymPy ``**``.

:func:`expr` prints a SymPy expression on one line (``λ* ≥ δ₁·(1 − k·δ₂)/(100·n²)``),
:func:`formula` converts a step's formula string, whether LaTeX (as the paper's
expressions are recorded), SymPy ``str`` output or Unicode already, and :func:`conjuncts`
evaluates each conjunct of a claim's statement on an instance, so that ``check`` and
``replay`` can say which one fails and by how much.

>>> import sympy as sp
>>> print(expr(sp.sqrt(sp.Symbol("k")) / sp.Symbol("lambda_star") ** 2))
√k/λ*²
>>> print(formula(r"\\lambda_{\\min}(X_i^T X_i) \\ge 1 - k\\delta_2"))
λmin(Xᵢᵀ Xᵢ) ≥ 1 − kδ₂
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["conjuncts", "describe_conjuncts", "expr", "formula", "symbol"]

_GREEK = {n: c for n, c in zip(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ", strict=True)}
_SUPS = dict(zip("0123456789+-=()nTik", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿᵀⁱᵏ", strict=True))
_SUBS = dict(zip("0123456789+-=()aeoxijkmnprst", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓᵢⱼₖₘₙₚᵣₛₜ", strict=True))
_NAMED = {"lambda_star": "λ\u2217", "lambda_min": "λmin", "lambda_max": "λmax",
          "lambda_min_H": "λmin(H)", "lambda_A": "λmin(A)", "lambda_AB": "λmin(A□B)",
          "min_lambda_B_diag": "min_α λmin(B_αα)", "H_inf": "H∞"}


def _sup(s: str) -> str | None:
    return "".join(_SUPS[c] for c in s) if all(c in _SUPS for c in s) else None


def _sub(s: str) -> str:
    if (len(s) == 1 or s.isdigit()) and all(c in _SUBS for c in s):
        return "".join(_SUBS[c] for c in s)
    return "_" + s


def symbol(name: str) -> str:
    """A SymPy symbol name in the paper's notation: ``lambda_star`` → ``λ*``, ``delta_1`` → ``δ₁``."""
    if name in _NAMED:
        return _NAMED[name]
    head, *subs = name.split("_")
    head = _GREEK.get(head, head)
    # U+2217 stands for the star until expr() has turned SymPy's products into "·"
    return head + "".join("\u2217" if s == "star" else _sub(_GREEK.get(s, s)) for s in subs if s)


def expr(e) -> str:
    """One line of Unicode for a SymPy expression or relational."""
    from sympy.printing.str import StrPrinter

    class _Printer(StrPrinter):
        def _print_Symbol(self, s):
            return symbol(s.name)

        def _print_Pow(self, p, rational=False):
            import sympy as sp
            from sympy.printing.precedence import PRECEDENCE

            base = self.parenthesize(p.base, PRECEDENCE["Pow"], strict=False)
            if p.exp == sp.S.Half:
                inner = self._print(p.base)
                return "√" + (inner if p.base.is_Atom else f"({inner})")
            if p.exp == -sp.S.Half:
                inner = self._print(p.base)
                return "1/√" + (inner if p.base.is_Atom else f"({inner})")
            if p.exp.is_Integer:
                sup = _sup(str(p.exp).replace("-", "-"))
                if sup is not None:
                    return base + sup
            return base + "^" + self.parenthesize(p.exp, PRECEDENCE["Pow"], strict=False)

        def _print_Relational(self, r):
            op = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "=", "!=": "≠"}[r.rel_op]
            return f"{self._print(r.lhs)} {op} {self._print(r.rhs)}"

        def _print_And(self, a):
            return " ∧ ".join(self._print(x) for x in a.args)

        def _print_Abs(self, a):
            return f"|{self._print(a.args[0])}|"

        def _print_Max(self, m):
            return "max(" + ", ".join(self._print(x) for x in m.args) + ")"

        def _print_Min(self, m):
            return "min(" + ", ".join(self._print(x) for x in m.args) + ")"

        def _print_Pi(self, _):
            return "π"

        def _print_Infinity(self, _):
            return "∞"

    out = _Printer({"order": "none"}).doprint(e)
    return out.replace("*", "·").replace("-", "−").replace("\u2217", "*")


# ----------------------------------------------------------------------------------------
# LaTeX / SymPy strings to Unicode
# ----------------------------------------------------------------------------------------
_MACROS = {
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "infty": "∞", "cdot": "·", "times": "×", "in": "∈", "sum": "Σ", "prod": "∏", "int": "∫",
    "partial": "∂", "nabla": "∇", "to": "→", "Rightarrow": "⇒", "iff": "⇔", "implies": "⇒",
    "Leftarrow": "⇐", "mapsto": "↦", "langle": "⟨", "rangle": "⟩", "forall": "∀",
    "exists": "∃", "wedge": "∧", "vee": "∨", "succeq": "⪰", "preceq": "⪯", "succ": "≻",
    "prec": "≺", "otimes": "⊗", "oplus": "⊕", "square": "□", "sim": "∼", "pm": "±", "mp": "∓",
    "ldots": "…", "dots": "…", "cdots": "⋯", "top": "ᵀ", "|": "‖", "Vert": "‖", "lVert": "‖",
    "rVert": "‖", "vert": "|", "mid": "|", "lesssim": "≲", "gtrsim": "≳", "equiv": "≡",
    "setminus": "∖", "subseteq": "⊆", "cup": "∪", "cap": "∩", "emptyset": "∅", "ell": "ℓ",
    "min": "min", "max": "max", "log": "log", "ln": "ln", "exp": "exp", "sup": "sup",
    "inf": "inf", "det": "det", "arccos": "arccos", "erf": "erf", "lambda": "λ", "ast": "*",
    "varepsilon": "ε", "epsilon": "ε", "varphi": "φ", "vartheta": "θ", "neg": "¬",
    "quad": "  ", "qquad": "    ", ",": " ", ";": " ", ":": " ", "!": "", " ": " ",
    "{": "{", "}": "}", "Big": "", "big": "", "Bigg": "", "bigg": "", "left": "", "right": "",
    "bigl": "", "bigr": "", "Bigl": "", "Bigr": "", "displaystyle": "", "limits": "",
    "rm": "", "mathrm": "", "text": "", "operatorname": "", "mathbf": "", "boldsymbol": "",
    "mathit": "", "mathsf": "", "emph": "", "textrm": "",
}
_MATHBB = {"E": "𝔼", "R": "ℝ", "P": "ℙ", "N": "ℕ", "Z": "ℤ", "1": "𝟙"}
_ACCENT = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304",
           "tilde": "\u0303", "widetilde": "\u0303", "dot": "\u0307", "ddot": "\u0308",
           "vec": "\u20d7"}


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument starting at ``s[i]``: a braced group or one character (or macro)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            depth += (s[j] == "{") - (s[j] == "}")
            if depth == 0:
                return s[i + 1:j], j + 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        return s[i:i + m.end()], i + m.end()
    return s[i], i + 1


def _paren(s: str) -> str:
    atom = r"\d+(\.\d+)?|[^\W\d_][\u0300-\u036f]*[₀-₉ᵢⱼₖₘₙᵣ⁰-⁹²³¹*ᵀ]*|√\w|\([^()]*\)"
    return s if re.fullmatch(atom, s) else f"({s})"


def _latex(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", s[i:])
            name, i = m.group(1), i + m.end()
            if name in ("frac", "tfrac", "dfrac"):
                a, i = _group(s, i)
                b, i = _group(s, i)
                out.append(_paren(_latex(a)) + "/" + _paren(_latex(b)))
            elif name == "sqrt":
                a, i = _group(s, i)
                inner = _latex(a)
                out.append("√" + (inner if re.fullmatch(r"\w", inner) else f"({inner})"))
            elif name == "mathbb":
                a, i = _group(s, i)
                out.append(_MATHBB.get(a.strip(), a))
            elif name in ("mathcal", "mathfrak"):
                a, i = _group(s, i)
                out.append(_latex(a))
            elif name in _ACCENT:
                a, i = _group(s, i)
                inner = _latex(a)
                out.append(inner + _ACCENT[name] if len(inner) == 1 else inner)
            elif name in _GREEK:
                out.append(_GREEK[name])
            elif name in _MACROS:
                out.append(_MACROS[name])
            else:
                out.append(name)
        elif c in "^_" and (i + 1 >= len(s) or s[i + 1] == "(" or (
                s[i + 1] != "{" and re.match(r"[A-Za-z]{2,}", s[i + 1:]))):
            out.append(c)  # Unicode-style x_ij, e^(…): already readable
            i += 1
        elif c in "^_":
            a, i = _group(s, i + 1)
            inner = _latex(a)
            if c == "^" and inner in ("T", "ᵀ"):
                out.append("ᵀ")
                continue
            if c == "_" and (inner == "*" or re.fullmatch(r"[a-z]{3,}", inner)):
                out.append(inner)  # λ_* → λ*, λ_{\min} → λmin
                continue
            conv = _sup(inner) if c == "^" else (
                "".join(_SUBS[x] for x in inner) if inner and all(x in _SUBS for x in inner)
                else None)
            if conv is not None:
                out.append(conv)
            elif c == "_":
                out.append("_" + (inner if len(inner) == 1 else "{" + inner + "}"))
            else:
                out.append("^" + (inner if len(inner) == 1 else f"({inner})"))
        elif c in "{}":
            i += 1
        else:
            out.append("−" if c == "-" else c)
            i += 1
    return "".join(out)


def formula(s: str) -> str:
    """A step's formula (LaTeX, SymPy ``str`` or Unicode) as one line of Unicode."""
    from .mathtex import _parse, _sympy_runs

    s = str(s)
    runs = _sympy_runs(s, render=False)
    pieces, last = [], 0
    for a, b, piece in runs:
        pieces += [s[last:a], expr(_parse(piece))]
        last = b
    pieces.append(s[last:])
    text = "".join(p if k % 2 else _latex(p) for k, p in enumerate(pieces))
    return re.sub(r"\s{2,}", " ", text).strip()


# ----------------------------------------------------------------------------------------
# conjuncts
# ----------------------------------------------------------------------------------------
def _slack(op: str, lhs: float, rhs: float) -> float:
    if op in ("<=", "<"):
        return rhs - lhs
    if op in (">=", ">"):
        return lhs - rhs
    return -abs(lhs - rhs)


def conjuncts(claim, instance: Mapping[str, Any]) -> list[dict]:
    """Each conjunct of ``claim.statement()`` evaluated on ``instance`` (via ``claim.bind``).

    Returns dicts ``{"index", "statement", "lhs", "rhs", "relation", "holds", "slack"}``;
    ``slack`` is signed like :class:`~proofkit.claims.Check`'s (< 0: this conjunct fails,
    by ``-slack``).  A statement that is not a conjunction of relations gives one entry.
    """
    import sympy as sp

    stmt = claim.statement()
    parts = list(stmt.args) if isinstance(stmt, sp.And) else [stmt]
    values = claim.bind(instance)
    by_name = {s.name: s for s in stmt.free_symbols}
    subs = {by_name[k]: sp.Float(v, 30) if not isinstance(v, int) else sp.Integer(v)
            for k, v in values.items() if k in by_name}
    out = []
    for i, rel in enumerate(parts, 1):
        row: dict[str, Any] = {"index": i, "of": len(parts), "statement": expr(rel)}
        if isinstance(rel, sp.core.relational.Relational):
            lhs, rhs = float(rel.lhs.subs(subs)), float(rel.rhs.subs(subs))
            row.update(lhs=lhs, rhs=rhs, relation=rel.rel_op, slack=_slack(rel.rel_op, lhs, rhs))
            row["holds"] = bool(rel.subs(subs))
        else:
            val = rel.subs(subs)
            row.update(lhs=math.nan, rhs=math.nan, relation="", slack=math.nan,
                       holds=bool(val) if val in (sp.true, sp.false) else None)
        out.append(row)
    return out


def describe_conjuncts(rows: list[dict]) -> list[str]:
    """Human lines for :func:`conjuncts`: which part fails and by how much."""
    lines = []
    for r in rows:
        where = f"part {r['index']} of {r['of']}" if r["of"] > 1 else "statement"
        if r["relation"]:
            op = {"<=": "≤", ">=": "≥", "==": "=", "<": "<", ">": ">", "!=": "≠"}[r["relation"]]
            tie = abs(r["slack"]) <= 8 * 2.0 ** -52 * max(abs(r["lhs"]), abs(r["rhs"]), 1e-300)
            state = ("equal within float64 rounding" if tie else "holds" if r["holds"]
                     else f"FAILS by {-r['slack']:.4g}")
            lines.append(f"{where}: {r['statement']}  —  {r['lhs']:.6g} {op} {r['rhs']:.6g}? "
                         f"{state}" + (f" (slack {r['slack']:.4g})" if r["holds"] and not tie else ""))
        else:
            lines.append(f"{where}: {r['statement']}  —  "
                         f"{'holds' if r['holds'] else 'FAILS' if r['holds'] is False else '?'}")
    return lines
