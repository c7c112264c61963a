"""Strings to LaTeX that pdflatex (OT1, no unicode engine) compiles.

:func:`text` escapes LaTeX's special characters and converts the unicode mathematics that
claims use in prose (``λmin``, ``‖c‖₂``, ``X̂ᵀ``, ``≤``, ``√k·δ2``) to ``\\ensuremath``
commands; characters with no known equivalent become ``[U+XXXX]`` rather than breaking
the build.  :func:`math` returns ``$…$`` for a string that is safe LaTeX mathematics
(ASCII, balanced braces, only macros from a known list) and falls back to :func:`text`
otherwise, so an expression this file cannot vouch for is shown as escaped text instead of
failing the compile.  Formulas of proof steps go through
:func:`proofkit.report.mathtex.formula`, which builds on these.

>>> text("λ ≥ 1 − √k & 5")
'\\\\ensuremath{\\\\lambda} \\\\ensuremath{\\\\geq} 1 \\\\ensuremath{-} \\\\ensuremath{\\\\surd}k \\\\& 5'
>>> math(r"\\lambda_{\\min} \\ge 1 - k\\delta_2")
'$\\\\lambda_{\\\\min} \\\\ge 1 - k\\\\delta_2$'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["breakable", "is_safe_math", "math", "text", "tt"]

_ASCII = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
          "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\ensuremath{\sim}",
          "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}"}

_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi "
          "rho sigma tau upsilon phi chi psi omega").split()
_CAPITAL = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
            "Omega"}
_MATH: dict[str, str] = {}
_LOOKALIKE = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
              "Kappa": "K", "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T",
              "Chi": "X"}
for _cp in range(0x391, 0x3CA):
    _name = unicodedata.name(chr(_cp), "").split()
    if len(_name) != 4 or _name[:3] not in (["GREEK", "SMALL", "LETTER"],
                                            ["GREEK", "CAPITAL", "LETTER"]):
        continue
    _g = _name[-1].lower().replace("lamda", "lambda")
    if _name[1] == "CAPITAL":
        _g = _g.capitalize()
        if _g in _LOOKALIKE:
            _MATH[chr(_cp)] = _LOOKALIKE[_g]
            continue
    if _g in _GREEK or _g in _CAPITAL:
        _MATH[chr(_cp)] = "\\" + _g
_MATH.update({"ς": r"\varsigma", "ε": r"\varepsilon", "ϵ": r"\epsilon", "φ": r"\varphi",
              "ϕ": r"\phi", "ο": "o"})
_MATH.update({
    "−": "-", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "∞": r"\infty",
    "√": r"\surd", "·": r"\cdot", "×": r"\times", "‖": r"\|", "∈": r"\in", "∉": r"\notin",
    "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∂": r"\partial", "∇": r"\nabla", "→": r"\to",
    "←": r"\leftarrow", "⇒": r"\Rightarrow", "⇔": r"\Leftrightarrow", "↦": r"\mapsto",
    "⟨": r"\langle", "⟩": r"\rangle", "⌈": r"\lceil", "⌉": r"\rceil", "⌊": r"\lfloor",
    "⌋": r"\rfloor", "∀": r"\forall", "∃": r"\exists", "∧": r"\wedge", "∨": r"\vee",
    "¬": r"\neg", "⊆": r"\subseteq", "⊂": r"\subset", "∪": r"\cup", "∩": r"\cap",
    "∅": r"\emptyset", "±": r"\pm", "∓": r"\mp", "∘": r"\circ", "≪": r"\ll", "≫": r"\gg",
    "∼": r"\sim", "≲": r"\lesssim", "≳": r"\gtrsim", "⊗": r"\otimes", "⊕": r"\oplus",
    "⊤": r"\top", "⊥": r"\perp", "∥": r"\parallel", "∣": r"\mid", "∖": r"\setminus",
    "≡": r"\equiv", "∝": r"\propto", "⪰": r"\succeq", "⪯": r"\preceq", "≽": r"\succeq",
    "≼": r"\preceq", "≻": r"\succ", "≺": r"\prec", "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}",
    "ℤ": r"\mathbb{Z}", "ℂ": r"\mathbb{C}", "𝔼": r"\mathbb{E}", "ℙ": r"\mathbb{P}",
    "∗": "*", "⋅": r"\cdot", "∙": r"\bullet", "†": r"\dagger", "ℓ": r"\ell", "∎": r"\blacksquare",
    "≔": ":=", "⩽": r"\leq", "⩾": r"\geq", "°": r"^\circ", "′": "'", "″": "''", "∙̂": r"\hat{}",
    "⟹": r"\Longrightarrow", "⟸": r"\Longleftarrow", "↑": r"\uparrow", "↓": r"\downarrow",
    "½": r"\frac12", "¼": r"\frac14", "²": "^2", "³": "^3", "¹": "^1", "∆": r"\Delta",
    "√̅": r"\surd", "ᵀ": "^{T}", "⁻": "^{-}", "̸": "",
})
_TEXT = {"–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}",
         "\u00a0": "~", "✓": "ok", "✗": "x", "•": r"\textbullet{}", "§": r"\S{}",
         "\u2009": r"\,", "\u200b": ""}
_SUP = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀᵏʳˣᵗᵈᵐ", "0123456789+-=()niTkrxtdm", strict=True))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ᵢⱼₖₙₘₐₑₒₓᵣₜₚₛₗₕ", "0123456789+-=()ijknmaeoxrtpslh", strict=True))
_ACCENT = {"\u0302": r"\hat", "\u0303": r"\tilde", "\u0304": r"\bar", "\u0305": r"\overline",
           "\u0307": r"\dot", "\u0308": r"\ddot", "\u20d7": r"\vec", "\u0306": r"\breve"}


def _char(ch: str) -> str:
    if ch in _ASCII:
        return _ASCII[ch]
    if ch.isascii():
        return ch if ch.isprintable() else " "
    if ch in _TEXT:
        return _TEXT[ch]
    if ch in _MATH:
        return r"\ensuremath{" + _MATH[ch] + "}"
    base = unicodedata.normalize("NFKD", ch)
    if base and base[0].isascii() and base[0].isalpha():  # é, ü, ...: keep the letter
        return base[0]
    return f"[U+{ord(ch):04X}]"


def text(s: str) -> str:
    """Escape ``s`` for LaTeX text mode, converting unicode mathematics (see module doc)."""
    out: list[str] = []
    i, s = 0, str(s)
    while i < len(s):
        ch = s[i]
        if ch in _SUP or ch in _SUB:
            table, mark = (_SUP, "^") if ch in _SUP else (_SUB, "_")
            j = i
            while j < len(s) and s[j] in table:
                j += 1
            out.append(r"\ensuremath{" + mark + "{" + "".join(table[c] for c in s[i:j]) + "}}")
            i = j
            continue
        if i + 1 < len(s) and s[i + 1] in _ACCENT and not ch.isspace():
            inner = _MATH.get(ch, ch if ch.isascii() and ch.isalnum() else "{}")
            out.append(r"\ensuremath{" + _ACCENT[s[i + 1]] + "{" + inner + "}}")
            i += 2
            continue
        if ch in _ACCENT:  # a stray combining mark
            i += 1
            continue
        out.append(_char(ch))
        i += 1
    return "".join(out)


_SAFE_MACROS = set(_GREEK) | {g.capitalize() for g in _GREEK} | set("""
varepsilon vartheta varphi varsigma varrho varpi le leq ge geq lt gt ne neq cdot cdots ldots
dots times frac dfrac tfrac sqrt sum prod int oint min max log ln exp sin cos tan arccos
arcsin arctan infty partial nabla left right big Big bigg Bigg bigl bigr Bigl Bigr mid
langle rangle lceil rceil lfloor rfloor mathbb mathbf mathrm mathcal mathit mathsf
operatorname text textrm hat tilde bar widehat widetilde overline underline top intercal in
notin subseteq subset supseteq cup cap to rightarrow leftarrow Rightarrow Leftarrow implies
iff quad qquad ldotp approx sim simeq equiv propto pm mp forall exists det Pr lVert rVert
lvert rvert vert Vert prime circ star ast ll gg succeq preceq succ prec binom lesssim gtrsim
odot otimes oplus setminus emptyset perp colon boldsymbol displaystyle textstyle limits
nolimits sup inf lim liminf limsup arg dim ker mathop underbrace overbrace ell dagger
leqslant geqslant mapsto land lor neg lnot wedge vee cdotp sharp flat parallel dot ddot vec
Pr exp vdots ddots square blacksquare boxtimes boxdot boxplus circledast circledcirc leqslant
geqslant triangleq mathfrak Re Im hbar wp triangle varnothing succcurlyeq preccurlyeq
overset underset stackrel substack cfrac tbinom dbinom lbrace rbrace backslash ni mathring
check acute grave breve not nleq ngeq cong lhd unlhd star bigcup bigcap bigoplus bigotimes
sqcup uplus amalg diamond bullet vartriangle top bot emph textbf textit operatornamewithlimits
rm iff
""".split())

_MACRO = re.compile(r"\\([A-Za-z]+|.)")


def is_safe_math(s: str) -> bool:
    """True when ``s`` can go between ``$…$`` without risking the compile."""
    if not s or not s.isascii() or any(c in s for c in "$%#&\n") or "\\\\" in s:
        return False
    depth = 0
    for c in s.replace(r"\{", "").replace(r"\}", ""):
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    if depth:
        return False
    for m in _MACRO.finditer(s):
        name = m.group(1)
        if name.isalpha() and name not in _SAFE_MACROS:
            return False
        if not name.isalpha() and name not in ",;:!|{} _":
            return False
    if len(re.findall(r"\\left\b", s)) != len(re.findall(r"\\right\b", s)):
        return False
    return True


def breakable(escaped: str) -> str:
    """Allow line breaks after separators of already escaped text (long identifiers)."""
    return re.sub(r"(\\textbackslash\{\}|/|\\_|-|\.|,|=|\}|\(|\+|\\\^\{\})(?!\s)",
                  lambda m: m.group(1) + r"\allowbreak{}", escaped)


def tt(s: str) -> str:
    """``\\texttt`` of ``s``, escaped, with break opportunities."""
    return r"\texttt{" + breakable(text(s)) + "}"


def _unicode_to_math(s: str) -> str:
    """Replace unicode symbols inside a LaTeX math string by macros (σ → ``\\sigma{}``)."""
    out = []
    for ch in s:
        if ch.isascii():
            out.append(ch)
        elif ch in _MATH:
            m = _MATH[ch]
            out.append(m + "{}" if m[-1:].isalpha() and m.startswith("\\") else m)
        elif ch in _SUP:
            out.append("^{" + _SUP[ch] + "}")
        elif ch in _SUB:
            out.append("_{" + _SUB[ch] + "}")
        else:
            out.append(ch)
    return "".join(out)


def math(s: str) -> str:
    """``$s$`` when :func:`is_safe_math` (after unicode symbols become macros), else the
    string as escaped text."""
    t = _unicode_to_math(str(s).strip())
    return f"${t}$" if is_safe_math(t) else text(s)
