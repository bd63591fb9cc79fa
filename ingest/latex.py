"""LaTeX source kept as notes (a student's lecture notes typed in LaTeX and saved as text), rewritten line for
line into the layout the plain-text reader reads, as ``ingest.markup`` does for wiki markup:

- ``\\chapter`` / ``\\section`` / ``\\subsection`` / ``\\subsubsection`` / ``\\paragraph`` are titles of their level
  (a ``\\paragraph{Name.} text`` line is ``Name: text``);
- ``\\item`` lines are bullets, numbered in an ``enumerate``, indented by the depth of their list;
  ``\\item[(a)] text`` keeps its label;
- rows of a ``tabular`` (``a & b & c \\\\``) are rows of a table; ``\\hline`` and ``\\toprule`` are its rules;
- ``\\begin{definition}[Name]`` and the like read ``Name:`` over what the environment says;
- the preamble (``\\documentclass``, ``\\usepackage``, ``\\newcommand``, ...), environment delimiters, display
  math delimiters and ``\\label`` say nothing;
- text commands keep their text (``\\textbf{X}``, ``\\emph{X}``, ``\\SI{9.81}{m/s^2}``, ``\\footnote{X}`` in
  brackets), escapes read as the character (``\\%``, ``\\&``, ``--``), a few math commands as their sign
  (``\\le`` ≤, ``\\times`` ×, ``\\alpha`` α, ``\\frac{a}{b}`` (a)/(b)), ``$`` marks are dropped; a ``%`` comment
  is the author's own remark and is read as text.
"""

from __future__ import annotations

import re
import unicodedata

from ingest.document import Markup

SECTIONS = {"part": 1, "chapter": 1, "section": 1, "subsection": 2, "subsubsection": 3, "paragraph": 4}
SECTION = re.compile(r"^\s*\\(?P<cmd>part|chapter|section|subsection|subsubsection|paragraph)\*?\s*(?:\[[^\]]*\])?\{")
BEGIN = re.compile(r"^\s*\\begin\{(?P<env>[A-Za-z*]+)\}(?:\[(?P<name>[^\]]*)\])?(?:\{[^}]*\})*\s*(?P<rest>.*)$")
END = re.compile(r"^\s*\\end\{(?P<env>[A-Za-z*]+)\}\s*(?P<rest>.*)$")
ITEM = re.compile(r"^\s*\\item\s*(?:\[(?P<label>[^\]]*)\])?\s*")
LISTS = frozenset({"itemize", "enumerate", "description", "compactitem", "compactenum"})
TABLES = frozenset({"tabular", "tabular*", "tabularx", "longtable", "array"})
MATH = frozenset(
    {
        "equation",
        "equation*",
        "align",
        "align*",
        "gather",
        "gather*",
        "multline",
        "multline*",
        "eqnarray",
        "eqnarray*",
        "displaymath",
        "math",
    }
)
SILENT = re.compile(
    r"^\s*\\(?:documentclass|usepackage|newcommand|renewcommand|providecommand|newtheorem|theoremstyle|"
    r"title|author|date|maketitle|tableofcontents|setlength|geometry|hypersetup|pagestyle|thispagestyle|"
    r"label|centering|caption|vspace|hspace|newpage|clearpage|noindent|bigskip|medskip|smallskip|"
    r"hline|toprule|midrule|bottomrule|cline|bibliography|bibliographystyle|input|include)\b"
)
RULES = re.compile(r"\\(?:hline|toprule|midrule|bottomrule|cline\{[^}]*\})")
DISPLAY = re.compile(r"^\s*(?:\\\[|\\\]|\$\$)\s*$")
COMMENT = re.compile(r"(?<!\\)%")
TILDE = "\x01"  # "\\sim" read as "~", kept apart from the "~" of a tie, which is a space
SIGNS = {
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "to": "→",
    "rightarrow": "→",
    "Rightarrow": "⇒",
    "leftarrow": "←",
    "infty": "∞",
    "sum": "Σ",
    "prod": "Π",
    "int": "∫",
    "partial": "∂",
    "deg": "°",
    "circ": "°",
    "sim": TILDE,
    "propto": "∝",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "Delta": "Δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "eta": "η",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "Sigma": "Σ",
    "tau": "τ",
    "phi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Omega": "Ω",
    "mid": "|",
    "cap": "∩",
    "cup": "∪",
    "in": "∈",
    "subset": "⊂",
    "subseteq": "⊆",
    "neg": "¬",
    "land": "∧",
    "lor": "∨",
    "vert": "|",
    "ldots": "...",
    "dots": "...",
    "cdots": "...",
    "textdegree": "°",
    "degree": "°",
    "quad": " ",
    "qquad": " ",
}
ESCAPES = {
    "\\%": "%",
    "\\&": "&",
    "\\$": "$",
    "\\_": "_",
    "\\#": "#",
    "\\{": "{",
    "\\}": "}",
    "\\ ": " ",
    "\\,": " ",
    "\\;": " ",
    "\\!": "",
    "~": " ",
    "---": "—",
    "--": "–",
    "``": '"',
    "''": '"',
}
FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
SQRT = re.compile(r"\\sqrt\{([^{}]*)\}")
SI = re.compile(r"\\(?:SI|qty)\{([^{}]*)\}\{([^{}]*)\}")
FOOTNOTE = re.compile(r"\\footnote\{([^{}]*)\}")
DROPPED_ARG = re.compile(r"\\(?:label|ref|eqref|cite|pageref|index|hspace|vspace)\*?\{[^{}]*\}")
WITH_ARG = re.compile(r"\\[A-Za-z]+\*?(?:\[[^\]]*\])?\{([^{}]*)\}")
COMMAND_RUN = re.compile(r"(\\[A-Za-z]+)(?=\\[A-Za-z]+\*?(?:\[[^\]]*\])?\{)")  # a command right before one with text
BARE = re.compile(r"\\([A-Za-z]+)\*?")


def is_latex(lines: list[str]) -> bool:
    """Whether a file is LaTeX source: sectioning commands, or environments with ``\\item`` lines, on lines
    of their own."""
    sections = sum(1 for line in lines if "\\" in line and SECTION.match(line))
    begins = sum(1 for line in lines if "\\begin{" in line and BEGIN.match(line))
    items = sum(1 for line in lines if "\\item" in line and ITEM.match(line))
    return sections >= 2 or (begins >= 2 and items >= 2)


def rewrite_latex(lines: list[str]) -> Markup:
    out = Markup(list(lines))
    own = macros(lines)

    def text_of(tex: str) -> str:
        return inline(tex, own)

    envs: list[list[str | int]] = []  # open environments: [name, items so far]
    for i, raw in enumerate(lines):
        line, remark = _uncomment(raw)
        remark = text_of(remark) if remark else ""
        line = line.rstrip()
        if not line.strip():
            if remark:
                out.lines[i] = remark  # a comment on its own line: the author's remark
            elif raw.strip():
                out.dropped.add(i)
            continue
        section = SECTION.match(line)
        if section:
            title, rest = _braced(line, section.end() - 1)
            title, rest = text_of(title).strip(), text_of(rest).strip()
            if section.group("cmd") == "paragraph" and rest:
                out.lines[i] = f"{title.rstrip('.:')}: {rest}"
            elif title:
                out.titles[i] = (title, SECTIONS[section.group("cmd")])
            else:
                out.dropped.add(i)
            continue
        begin = BEGIN.match(line)
        if begin:
            env = begin.group("env")
            envs.append([env, 0])
            name = text_of(begin.group("name") or "").strip()
            rest = begin.group("rest").strip()
            if name and env not in LISTS | TABLES | MATH:
                out.lines[i] = f"{name}:"  # "\begin{definition}[Conditional probability]": what follows says it
            elif rest and not rest.startswith("{") and env not in TABLES:
                out.lines[i] = text_of(rest)
            else:
                out.dropped.add(i)
            continue
        end = END.match(line)
        if end:
            if envs and envs[-1][0] == end.group("env"):
                envs.pop()
            out.lines[i] = ""  # the end of a list, a table or a theorem ends a part, as a blank line does
            continue
        if DISPLAY.match(line) or SILENT.match(line):
            if RULES.fullmatch(line.strip()) and envs and envs[-1][0] in TABLES:
                out.lines[i] = "|---|"  # a table's rule
            else:
                out.dropped.add(i)
            continue
        env = str(envs[-1][0]) if envs else ""
        if env in TABLES and "&" in line:
            cells = [text_of(c).strip() for c in re.split(r"(?<!\\)&", RULES.sub("", line).replace("\\\\", ""))]
            out.lines[i] = "|" + "|".join(cells) + "|"
            continue
        item = ITEM.match(line)
        if item:
            lists = [e for e in envs if e[0] in LISTS]
            depth = max(len(lists), 1)
            text = text_of(line[item.end() :]).strip()
            label = text_of(item.group("label") or "").strip()
            if lists:
                lists[-1][1] = int(lists[-1][1]) + 1
            numbered = bool(lists) and lists[-1][0] in ("enumerate", "compactenum")
            mark = label if label else f"{lists[-1][1]}." if numbered else "-"
            if lists and lists[-1][0] == "description" and label:
                mark, text = "-", f"{label}: {text}"
            text = f"{text} ({remark})" if remark else text
            out.lines[i] = f"{'  ' * (depth - 1)}{mark} {text}" if text else ""
            continue
        text = text_of(line.replace("\\\\", " ")).strip()
        if env in MATH:
            text = text.replace("&", "")
        out.lines[i] = f"{text} ({remark})" if text and remark else text or remark
        if not out.lines[i]:
            out.dropped.add(i)
    return out


def _uncomment(line: str) -> tuple[str, str]:
    """The line without its ``%`` comment, and the comment's text."""
    found = COMMENT.search(line)
    if not found:
        return line, ""
    return line[: found.start()], line[found.end() :].strip().lstrip("%").strip()


def _braced(line: str, at: int) -> tuple[str, str]:
    """The text inside the braces opening at ``line[at]`` (nesting allowed), and what follows them."""
    depth = 0
    for k in range(at, len(line)):
        if line[k] == "{" and (k == 0 or line[k - 1] != "\\"):
            depth += 1
        elif line[k] == "}" and line[k - 1] != "\\":
            depth -= 1
            if depth == 0:
                return line[at + 1 : k], DROPPED_ARG.sub("", line[k + 1 :])
    return line[at + 1 :], ""


# accents over a letter ("{\\"u}", "\\'{e}", "\\c{c}") and the combining marks they stand for
ACCENT = re.compile(r"\{?\\(?P<mark>[\"'`^~=.]|[cvuHk](?=\{))\s*\{?(?P<letter>[A-Za-z])\}?\}?")
MARKS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304", ".": "\u0307"}
MARKS |= {"c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328"}


def _accented(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFC", m.group("letter") + MARKS[m.group("mark")])


def inline(text: str, macros: dict[str, str] | None = None) -> str:
    """A line of LaTeX as the text it typesets: commands read as their text or sign (or as the file's own
    ``\\newcommand`` says), accents over their letter, escapes resolved."""
    text = ACCENT.sub(_accented, DROPPED_ARG.sub("", text)).replace("\\$", "\x00")
    text = COMMAND_RUN.sub(r"\1 ", text)  # "\\sim\\text{Bin}": the sign stays apart from the text after it
    text = SI.sub(r"\1 \2", text)
    text = FOOTNOTE.sub(r" (\1)", text)
    for _ in range(3):  # nested commands, innermost first
        text = FRAC.sub(r"(\1)/(\2)", text)
        text = SQRT.sub(r"√(\1)", text)
        text = WITH_ARG.sub(r"\1", text)
    own = macros or {}
    text = BARE.sub(lambda m: own.get(m.group(1), SIGNS.get(m.group(1), "")), text.replace("\\\\", " "))
    for escaped, plain in ESCAPES.items():
        text = text.replace(escaped, plain)
    text = text.replace("$", "").replace("{", "").replace("}", "").replace("\x00", "$").replace(TILDE, "~")
    return re.sub(r"\s+", " ", text).strip()


NEWCOMMAND = re.compile(r"^\s*\\(?:re)?newcommand\*?\s*\{?\\(?P<name>[A-Za-z]+)\}?\s*\{(?P<body>.*)\}\s*(?:%.*)?$")


def macros(lines: list[str]) -> dict[str, str]:
    """The file's own commands that take no argument (``\\newcommand{\\Prob}{\\mathbb{P}}``), as their text."""
    found: dict[str, str] = {}
    for line in lines:
        if "newcommand" in line:
            m = NEWCOMMAND.match(line)
            if m:
                found[m.group("name")] = inline(m.group("body"), found)
    return found
