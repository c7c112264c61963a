"""Formulas of an audit as LaTeX mathematics: SymPy through ``sympy.latex``, the rest as math.

Proof steps record the paper's expression as LaTeX and the derived one as LaTeX, as SymPy
``str`` output (``sqrt(2)*sqrt(n)/lambda_star``) or as Unicode mathematics with a few words
of prose (``‖ẇ_r‖ ≤ (1/√m)(Σ_i|e_i|)``).  :func:`formula` turns any of them into LaTeX that
pdflatex typesets: runs of SymPy syntax are parsed and printed by :func:`sympy.latex` with
the paper's symbol names (:func:`symbol_latex`: ``lambda_star`` is λ_*), Unicode becomes
macros, prose words go into ``\\text``; the result is text with inline math pieces, so a
long formula breaks between words and after relations and binary operators.  A string
that cannot be made safe comes back as escaped text (never as typewriter source).

>>> print(symbol_latex("lambda_star"), symbol_latex("delta_1"), symbol_latex("L_biased"))
\\lambda_{*} \\delta_{1} L_{\\mathrm{biased}}
>>> print(formula("m ≥ 32*n*(k + 1)/lambda_star"))
$m \\geq{} \\frac{32 n \\left(k + 1\\right)}{\\lambda_{*}}$
>>> print(formula(r"\\text{with probability } 1 - \\delta"))
with probability $1 - \\delta$
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .texify import _MATH, _SUB, _SUP, _unicode_to_math, is_safe_math, text

__all__ = ["formula", "prose", "statement_latex", "symbol_latex", "sympy_latex"]

_GREEK = set("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho "
             "sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon "
             "Phi Psi Omega".split())
_SUBWORDS = {"star": "*", "min": r"\min", "max": r"\max", "inf": r"\infty", "infty": r"\infty",
             "hat": "", "T": "T"}
_NAMED = {"lambda_min_H": r"\lambda_{\min}(H)", "lambda_min": r"\lambda_{\min}",
          "lambda_AB": r"\lambda_{\min}(A\square B)", "lambda_A": r"\lambda_{\min}(A)",
          "min_lambda_B_diag": r"\min_\alpha\lambda_{\min}(B_{\alpha\alpha})",
          "lambda_max": r"\lambda_{\max}", "H_inf": r"H^{\infty}", "delta_hat_1": r"\hat\delta_1"}


def symbol_latex(name: str) -> str:
    """LaTeX for a SymPy symbol name in the paper's notation (``lambda_star`` → ``\\lambda_{*}``)."""
    if name in _NAMED:
        return _NAMED[name]
    head, *subs = name.split("_")

    def word(w: str) -> str:
        if w in _GREEK:
            return "\\" + w
        if w in _SUBWORDS:
            return _SUBWORDS[w]
        return w if len(w) <= 1 or w.isdigit() else r"\mathrm{" + w + "}"

    out = ("\\" + head if head in _GREEK else head if len(head) <= 1
           else r"\mathrm{" + head + "}") if head else ""
    subs = [word(s) for s in subs if s]
    return out + ("_{" + ",".join(s for s in subs if s) + "}" if any(subs) else "")


_FUNCS = ("sqrt", "exp", "log", "Max", "Min", "Abs", "erf", "Eq", "Ne", "floor", "ceiling")


def _names(s: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", s)) - set(_FUNCS) - {"pi", "oo"}


@functools.lru_cache(maxsize=1024)
def _parse(s: str):
    """A SymPy expression from SymPy ``str`` syntax, unevaluated; ``None`` when it does not parse."""
    import sympy as sp
    from sympy.parsing.sympy_parser import parse_expr

    s = s.strip()
    if not s or s[0] in "*/^)" or s[-1] in "*/+-(^,":
        return None
    local = {n: sp.Symbol(n) for n in _names(s)}
    local.update({"pi": sp.pi, "oo": sp.oo})
    try:
        expr = parse_expr(s, local_dict=local, evaluate=False)
    except Exception:  # not SymPy syntax (prose, LaTeX): the caller keeps the text
        return None
    return expr if isinstance(expr, sp.Basic) else None


def sympy_latex(expr) -> str:
    """``sympy.latex(expr)`` with the paper's symbol names (see :func:`symbol_latex`)."""
    import sympy as sp

    names = {s: symbol_latex(s.name) for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    return sp.latex(expr, symbol_names=names, mul_symbol=None)


def statement_latex(statement: str) -> str:
    """A claim's statement (``str`` of a SymPy relational or conjunction) as LaTeX math.

    >>> print(statement_latex("(g_f <= 1/sqrt(m)) & (lambda_Hr <= n*(k + 1)/m)"))
    g_{f} \\leq \\frac{1}{\\sqrt{m}} \\wedge \\lambda_{\\mathrm{Hr}} \\leq \\frac{n \\left(k + 1\\right)}{m}
    """
    import sympy as sp

    try:
        expr = sp.sympify(statement, locals={n: sp.Symbol(n) for n in _names(statement)})
    except Exception:
        return ""
    if isinstance(expr, sp.And):
        return r" \wedge ".join(sympy_latex(a) for a in _conjuncts(statement, expr))
    return sympy_latex(expr)


def _conjuncts(statement, expr):
    # keep the order the claim wrote them in (And sorts its arguments)
    import sympy as sp

    parts = [p.strip()[1:-1] if p.strip().startswith("(") else p for p in statement.split(" & ")]
    try:
        out = [sp.sympify(p, locals={n: sp.Symbol(n) for n in _names(p)}) for p in parts]
        return out if len(out) == len(expr.args) else list(expr.args)
    except Exception:
        return list(expr.args)


# ----------------------------------------------------------------------------------------
# SymPy runs inside a mixed string
# ----------------------------------------------------------------------------------------
_SEED = re.compile(r"\*\*|(?<![\\A-Za-z])(?:sqrt|exp|log|Max|Min|Abs|erf)\(|"
                   r"(?<=[A-Za-z0-9)])\*(?=[A-Za-z0-9(])|(?<![\\A-Za-z])[A-Za-z]+_[a-z]{3,}\b")
_RUN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.*/+-() ,")


def _may_start(s: str, i: int) -> bool:
    rest = s[i:].lstrip()
    if not rest or rest[0] in "+*/),":
        return False
    before = s[:i].rstrip()
    return rest[0] != "-" or not before or not (before[-1].isalnum() or before[-1] in ")}")


def _sympy_runs(s: str, *, render: bool = True) -> list[tuple[int, int, str]]:
    """(start, end, latex) of the maximal SymPy-syntax pieces of ``s`` that parse (the
    piece's own text instead of its LaTeX when not ``render``)."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    while (m := _SEED.search(s, pos)) is not None:
        a = m.start()
        while a > 0 and s[a - 1] in _RUN_CHARS:
            a -= 1
        b = m.end()
        while b < len(s) and s[b] in _RUN_CHARS:
            b += 1
        best = None
        starts = sorted(i for i in range(a, m.start() + 1)
                        if (i == a or not s[i - 1].isalnum()) and _may_start(s, i))
        ends = sorted({j for j in range(m.end(), b + 1)
                       if j == b or (not s[j].isalnum() and s[j] != "_")}, reverse=True)
        for i in starts:
            for j in ends:
                piece = s[i:j]
                if piece.strip() and piece.count("(") == piece.count(")"):
                    expr = _parse(piece)
                    if expr is not None:
                        best = (i, j, piece)
                        break
            if best:
                break
        if best is None:
            pos = m.end()
            continue
        i, j, piece = best
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        out.append((i + lead, j - trail, sympy_latex(_parse(piece)) if render
                    else piece.strip()))
        pos = j
    return out


# ----------------------------------------------------------------------------------------
# Unicode and prose
# ----------------------------------------------------------------------------------------
_PROSE_SHORT = set("so on of at by is in to or if as an be we it no and the for all row see "
                   "per one two any not are has its via use one".split())
_MATH_WORDS = set("sqrt spec diag blockdiag arccos arcsin arctan sign tanh cosh sinh erfc exp "
                  "log max min sup inf det erf arg dim ker ln ds dt dx Re Im".split())
_PROTECT = re.compile(r"\\(?:text|mathrm|operatorname|mathbf|mathit|textrm|mathcal|mathbb|"
                      r"mathsf|emph|textbf|textit|label)\s*\{[^{}]*\}|\{\\rm [^{}]*\}")
_WORD = re.compile(r"(?<![\\A-Za-z0-9_^])(?:[A-Za-z]{2,}|a(?= [a-z]{3,}))(?![A-Za-z0-9_])")


def _prose(w: str) -> bool:
    low = w.lower()
    if w == "a":
        return True
    if w in _MATH_WORDS or low in _MATH_WORDS:
        return False
    if len(w) <= 3:
        return low in _PROSE_SHORT or (w[0].isupper() and w[1:].islower() and len(w) == 3
                                       and w not in ("Max", "Min", "Abs"))
    return w.isalpha() and (w.islower() or (w[0].isupper() and w[1:].islower()))


def _balanced_at(s: str, i: int, open_: str, close: str) -> int:
    """Index of the bracket closing the one at ``s[i]`` (``-1`` when unbalanced)."""
    depth = 0
    for j in range(i, len(s)):
        depth += (s[j] == open_) - (s[j] == close)
        if depth == 0:
            return j
    return -1


def _groups(s: str) -> str:
    """``^(…)``, ``_(…)`` and ``√(…)`` become braces; ``√x`` becomes ``√{x}``."""
    out, i = [], 0
    while i < len(s):
        ch = s[i]
        if ch in "^_√" and i + 1 < len(s) and s[i + 1] == "(":
            j = _balanced_at(s, i + 1, "(", ")")
            if j > 0:
                out.append(("\\sqrt" if ch == "√" else ch) + "{" + _groups(s[i + 2:j]) + "}")
                i = j + 1
                continue
        if ch == "√":
            m = re.match(r"[A-Za-z0-9]+|[\u0370-\u03ff]", s[i + 1:])
            if m:
                out.append("\\sqrt{" + m.group(0) + "}")
                i += 1 + len(m.group(0))
                continue
            out.append("\\surd ")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_ACCENTS = {"\u0302": r"\hat", "\u0303": r"\tilde", "\u0304": r"\bar", "\u0305": r"\bar",
            "\u0307": r"\dot", "\u0308": r"\ddot"}


def _unicode(s: str) -> str:
    s = unicodedata.normalize("NFD", s)
    s = re.sub(r"(.)([\u0302-\u0308])", lambda m: _ACCENTS.get(m.group(2), "") + "{"
               + _MATH.get(m.group(1), m.group(1)) + "}", s)
    s = re.sub(r"λ(min|max)", r"\\lambda_{\\\1}", s)
    s = re.sub(r"λ\*", r"\\lambda_*", s)
    s = re.sub(r"([\u0370-\u03ff])([0-9])", lambda m: m.group(1) + "_" + m.group(2), s)
    s = re.sub(r"(?<![\\A-Za-z])(max|min|exp|log|sup|inf)(?=[_( ])", r"\\\1", s)
    s = re.sub(r"(?<!\\)_([A-Za-z]{2,3})(?![A-Za-z])", r"_{\1}", s)
    s = re.sub(r"(?<!\\)_([A-Za-z]{4,})", r"_{\\mathrm{\1}}", s)
    s = re.sub(r"(?<!\{)w\.p\.", r"\\text{w.p.}", s)
    s = re.sub(r"(?<=\d)–(?=\d)", r"\\text{--}", s).replace("–", r"\text{--}")
    s = re.sub(r"(?<=[A-Za-z])∞", r"^{\\infty}", s).replace("Σ", r"\sum ")
    s = _groups(s)
    s = "".join(("^{" + _SUP[c] + "}" if c in _SUP else "_{" + _SUB[c] + "}" if c in _SUB else c)
                for c in s)
    return _unicode_to_math(s)


def _wrap_prose(s: str) -> str:
    protected = [m.span() for m in _PROTECT.finditer(s)]
    out, last = [], 0
    words = [m for m in _WORD.finditer(s)
             if _prose(m.group(0)) and not any(a <= m.start() < b for a, b in protected)]
    i = 0
    while i < len(words):
        a, b = words[i].span()
        j = i
        # merge the next prose words separated by spaces and light punctuation only
        while j + 1 < len(words) and re.fullmatch(r"[\s,;.:]*", s[b:words[j + 1].start()]):
            j += 1
            b = words[j].end()
        while b < len(s) and s[b] in ",;:" and (b + 1 == len(s) or s[b + 1] == " "):
            b += 1
        out += [s[last:a], r"\text{" + s[a:b] + "}"]
        last = b
        i = j + 1
    out.append(s[last:])
    return "".join(out)


_TEXT_TOP = re.compile(r"\\text\{([^{}]*)\}")


def _split_text(math: str) -> str:
    """Inline math with its depth-0 ``\\text{…}`` pieces turned into text (breakable)."""
    parts, last, depth_at = [], 0, _depths(math)
    for m in _TEXT_TOP.finditer(math):
        if depth_at[m.start()] != 0:
            continue
        parts += [("m", math[last:m.start()]), ("t", m.group(1))]
        last = m.end()
    parts.append(("m", math[last:]))
    out = []
    for kind, p in parts:
        if kind == "t":
            out.append(text(p))
            continue
        core = re.sub(r"^(\\[ ,;]|\s)+|(\\[ ,;]|\\|\s)+$", "", p)
        if not core.strip(" ,;:"):
            out.append(" " if p.strip() or p else "")
            continue
        lead = " " if p[:1].isspace() or p.startswith("\\ ") else ""
        trail = " " if p[-1:].isspace() or p.endswith("\\ ") else ""
        out.append(f"{lead}${core}${trail}")
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _depths(s: str) -> list[int]:
    d, out = 0, []
    for i, c in enumerate(s):
        out.append(d)
        if c == "{" and (i == 0 or s[i - 1] != "\\"):
            d += 1
        elif c == "}" and (i == 0 or s[i - 1] != "\\"):
            d -= 1
    return out


@functools.lru_cache(maxsize=2048)
def formula(s: str) -> str:
    """LaTeX (text mode, with inline math) for a formula of a proof step; see the module doc."""
    s = str(s).strip()
    if not s:
        return "--"
    runs = _sympy_runs(s)
    pieces, last = [], 0
    for k, (a, b, _tex) in enumerate(runs):
        pieces += [s[last:a], f"\ue000{k}\ue001"]
        last = b
    pieces.append(s[last:])
    body = _wrap_prose(_unicode("".join(pieces)))
    body = re.sub(r"\ue000(\d+)\ue001", lambda m: " " + runs[int(m.group(1))][2] + " ", body)
    if not is_safe_math(body) or not all(c.isascii() for c in body):
        return text(s)
    pieces_ok = _split_text(body)
    for m in re.finditer(r"\$([^$]*)\$", pieces_ok):
        if not is_safe_math(m.group(1)):
            return f"${body}$"
    return pieces_ok


def prose(s: str) -> str:
    """Escaped text (see :func:`~proofkit.report.texify.text`) whose SymPy runs become math.

    >>> print(prose("slack sqrt(2)*n/lambda_star here"))
    slack $\\frac{\\sqrt{2} n}{\\lambda_{*}}$ here
    """
    s = str(s)
    out, last = [], 0
    for a, b, tex in _sympy_runs(s):
        if not re.search(r"[*(]", s[a:b]):
            continue  # a bare identifier (a premise, a file name) stays text
        out += [_scripts(s[last:a]), f"${tex}$"]
        last = b
    out.append(_scripts(s[last:]))
    return "".join(out)


# a one-letter base (x_i, a_r^2, X̂_i), or a closing bracket, then a short script; names
# with several underscores (k_ge_1, file_name) are left as text
_SCRIPT = re.compile(r"(?:(?<=(?<![A-Za-z0-9_])[A-Za-z\u0391-\u03c9])|(?<=[\u0300-\u036f])"
                     r"|(?<=_[a-z0-9])|(?<=\^T[a-z])|(?<=[)\]ᵀ'}]))"
                     r"(?:_(\{[^{}]{1,12}\}|[a-z0-9*]{1,3}|[A-Z])(?![a-z0-9_])"
                     r"|\^(\{[^{}]{1,12}\}|\([^()]{1,16}\)|[A-Za-z0-9*])(?![a-z0-9_])"
                     r"|\^(T)(?=[A-Za-z]))")  # x_i^Tx_j: a transpose before a letter


def _scripts(s: str) -> str:
    """:func:`text` of prose, with ``x_i``, ``a_r^2``, ``e^(-t)`` as sub- and superscripts."""
    out, last = [], 0
    for m in _SCRIPT.finditer(s):
        mark, body = ("_", m.group(1)) if m.group(1) is not None else (
            "^", m.group(2) or m.group(3))
        body = body[1:-1] if body[0] in "{(" else body
        out += [text(s[last:m.start()]), r"\ensuremath{" + mark + "{"
                + _unicode_to_math(body).replace("*", r"\ast ") + "}}"]
        last = m.end()
    out.append(text(s[last:]))
    return "".join(out)
