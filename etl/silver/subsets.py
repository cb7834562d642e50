"""Code, math and Q&A signals per document (RedStone's subsets, on WET text): counts and shares, no decisions.

Pure Python, no Spark: silver computes them (etl.silver.scorers.SubsetScorer), gold turns them into the is_code,
is_math and is_qa flags with the catalog's thresholds (etl.catalog.SUBSETS, etl.gold.subsets). Every pattern is
compiled once at import. The text is split into lines once and each line gets a few anchored matches (a pattern
anchored with (?m)^ over the whole text is ten times slower in Python's re); the whole-text searches have a cheap
pre-check (a backslash before LaTeX, non-ASCII before the symbol class, each forum word's literal before its
pattern). Silver's normalisation (NFKC, whitespace collapsed, line edges stripped) runs first, so full-width
punctuation is ASCII here and indentation is usually gone: code is recognised by syntax, and indentation counts only
where the text still has it. docs/subsets.md lists what each pattern covers and what it costs.
"""

from __future__ import annotations

import re
from typing import Iterable

from etl.catalog import SUBSET_SIGNALS

SIGNAL_NAMES = tuple(s.name for s in SUBSET_SIGNALS)
PER_CHARS = 1000  # math_symbol_density is per this many characters
MAX_EQUATION_LINE_CHARS = 120  # "= signs in short lines": longer lines are prose or code, not a displayed formula

# --- math ---------------------------------------------------------------------------------------------------------
# LaTeX commands that mean mathematics (not \n, \t or a Windows path): counted once each per document.
LATEX_MATH_COMMANDS = (
    "frac dfrac tfrac sqrt sum prod int iint iiint oint lim limsup liminf infty partial nabla cdot cdots ldots "
    "times div pm mp leq geq le ge neq ne approx equiv sim simeq cong propto in notin ni subset subseteq supset "
    "supseteq cup cap setminus emptyset varnothing forall exists neg land lor wedge vee mathbb mathcal mathbf mathrm "
    "mathit mathfrak operatorname left right binom choose over log ln exp sin cos tan sec csc cot arcsin arccos arctan "
    "sinh cosh tanh det dim ker max min sup inf arg deg gcd mod bmod pmod to mapsto rightarrow leftarrow Rightarrow "
    "Leftarrow leftrightarrow Leftrightarrow iff implies langle rangle lfloor rfloor lceil rceil vec hat bar "
    "overline underline widehat tilde dot ddot prime alpha beta gamma delta epsilon varepsilon zeta eta theta "
    "vartheta iota kappa lambda mu nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega displaystyle textstyle begin end overset underset "
    "stackrel quad qquad perp parallel angle triangle circ bullet oplus otimes"
).split()
LATEX_RE = re.compile(r"\\(" + "|".join(sorted(LATEX_MATH_COMMANDS, key=len, reverse=True)) + r")(?![A-Za-z])")
# Mathematical operators as characters (after NFKC: superscript digits are plain digits by then, so not listed).
# Not '×' alone: "640 × 363 pixels" and "9 × 19 mm" are sizes; worked products (ARITHMETIC_RE) still count.
MATH_CHARS = "∑∏∫∬∭∮√∛∜∞∂∇∆≤≥≦≧≠≈≃≅≡≢∝±∓÷∈∉∋⊂⊃⊆⊇⊄∪∩∀∃∄∧∨¬⇒⇔⟹⟺↦∘⊕⊗⊥∠∴∵ℝℕℤℚℂ"
MATH_CHAR_RE = re.compile("[" + MATH_CHARS + "]")
CARET_RE = re.compile(r"(?<![\w^])[A-Za-z0-9)\]}]\^[-+]?[\w({]")  # x^2, 10^-3, (a+b)^2, e^{ix}
SUBSCRIPT_RE = re.compile(r"(?<!\w)[A-Za-z]_(?:\{|\w(?!\w))")  # a_n, x_{i+1}; not snake_case identifiers
ARITHMETIC_RE = re.compile(r"\d\s*[-+*/×÷]\s*\d[\d.,]*\s*=\s*[-$(]?\d")  # 16 - 3 - 4 = 9, <<9*2=18>>
_OPERAND = r"(?:\d|(?<![A-Za-z])[A-Za-z](?![A-Za-z])|[)\]}√π∞])"
# An equation: an operand, a lone '=' (not ==, =>, <=, >=, !=, :=), an operand.
EQUATION_RE = re.compile(r"%s[ )\]]*(?<![=<>!:])=(?![=>])[ (\[]*[-+]?[ ]*%s" % (_OPERAND, _OPERAND))

# --- code ---------------------------------------------------------------------------------------------------------
# A line is code-like when it opens with a statement of a common language (Python, JavaScript, Java/C#/C/C++, PHP,
# SQL, shell), is an assignment or a call, ends with a statement's ';', '{' or '}' next to code punctuation, is
# brackets alone, or is indented and ends in code punctuation. Keywords are case-sensitive (SQL's upper case), so
# prose's "For example:" is not a loop.
CODE_STATEMENT_RE = re.compile(
    r"(?:\d{1,4}[.:]?[ \t]+)?(?:"  # an optional line number
    r"def[ \t]+\w+[ \t]*\(|class[ \t]+\w+[ \t]*(?:[:({]|$|extends\b|implements\b)"
    r"|import[ \t]+[\w.*]+(?:[ \t]+as[ \t]+\w+)?[ \t]*;?[ \t]*$|import[ \t]+\{|from[ \t]+[\w.]+[ \t]+import[ \t]"
    r"|return\b.*[;)\]}\w][ \t]*$|function\b[ \t]*[\w$]*[ \t]*\(|(?:var|let|const)[ \t]+[\w$]+[ \t]*[=:;]"
    r"|#[ \t]*(?:include|define|ifn?def|endif|pragma)\b|(?:public|private|protected|internal)[ \t]+[\w<>\[\], ]+[({=;]"
    r"|(?:static|final|abstract|override|async)[ \t]+[\w<>\[\]]+[ \t]+\w+[ \t]*\("
    r"|(?:int|void|char|double|float|bool|boolean|long|auto|unsigned|String|std::\w+)[ \t]+\**[\w:]+[ \t]*[(=;\[]"
    r"|(?:if|for|foreach|while|switch|catch)[ \t]*\(|(?:else|try|finally|do)[ \t]*\{"
    r"|\}[ \t]*(?:else|catch|finally|while)\b|(?:else|try|finally)[ \t]*:[ \t]*$|(?:elif|except|with)\b.*:[ \t]*$"
    r"|for[ \t]+\w+(?:[ \t]*,[ \t]*\w+)*[ \t]+in[ \t]+.*:[ \t]*$|(?:if|while)[ \t]+.*(?:==|!=|<=|>=|\w\(|\w\.\w).*:[ \t]*$"
    r"|(?:print|printf|echo|puts|console\.log|System\.out\.print(?:ln)?|println!?|fmt\.Print\w*|alert)[ \t]*\("
    r"|SELECT[ \t].*\bFROM\b|(?:INSERT[ \t]+INTO|UPDATE[ \t]+\w+[ \t]+SET|CREATE[ \t]+(?:TABLE|INDEX|VIEW)"
    r"|DELETE[ \t]+FROM)\b"
    r"|package[ \t]+[\w.]+;|using[ \t]+[\w.]+;|namespace[ \t]+[\w.\\]+|<\?php|#!/|@\w+\("
    r"|\$[ \t]+(?:sudo|pip|npm|git|cd|ls|make|python\d?|docker|curl|apt(?:-get)?|yarn|cargo|go)\b|>>>[ \t]"
    r"|</?[a-z][\w-]*(?:[ \t]+[\w:-]+=[\"'].*)?/?>"
    r"|[\w$][\w$.]*(?:\[[^\]]*\])?[ \t]*(?:[-+*/%|&]?=|:=|<-)(?!=)[ \t]*.*[)\]}'\";][ \t]*$"  # x = f(y);
    r"|[\w$]+(?:\.[\w$]+)+[ \t]*\(.*\)[ \t]*;?[ \t]*$"  # obj.method(arg)
    r")")
# Next to a statement end, one of these marks code; prose lists ending items with ';' have none.
CODE_PUNCT_RE = re.compile(r"\w\(|=|[{}\[\]]|->|::")
CODE_END_CHARS = ";{}"
BRACKET_CHARS = "{}()[];,"
INDENT_END_CHARS = "=()[]{};:"
# Chinese lists end items with '；' (';' after NFKC): a line with CJK text is not code by its ending alone.
CJK_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

# --- Q&A ----------------------------------------------------------------------------------------------------------
QUESTION_MARKS = ("?", "؟", "？")  # the full-width one for text not normalised
CLOSING_CHARS = "\"'»”)] \t"  # a question may end inside quotes or brackets
MIN_ANSWER_CHARS = 40  # a question line followed by a non-question line this long is a question answered
# A line opening with a question or answer label, in en, ar, de, es, fr, ru, zh, pt, it, tr, ja, ko. Single letters
# only as "Q." / "Q:" / "A:" ("A." opens enumerations); the words need a colon ('：' too, for text not normalised).
QA_LABELS = (
    "question answer questions answers réponse frage antwort pregunta respuesta pergunta resposta domanda risposta "
    "soru cevap yanıt вопрос ответ سؤال السؤال جواب الجواب الإجابة إجابة 问 答 问题 回答 答案 問 問題 質問 答え "
    "질문 답변 답"
).split()
QA_MARKER_RE = re.compile(
    r"(?:Q[ \t]*\d*[ \t]*[.:：)]|A[ \t]*\d*[ \t]*[:：]|(?:"
    + "|".join(sorted(set(QA_LABELS), key=len, reverse=True)) + r")[ \t]*\d*[ \t]*[:：.)])",
    re.IGNORECASE)
MARKER_PREFIX_CHARS = 24  # a label and its colon fit in this many characters
# Forum vocabulary of Q&A sites (Stack Exchange, Quora, Zhihu, Yahoo Answers, Naver KnowledgeiN, ...), matched in
# lower case: each pattern opens with its own literal, which is looked for first (`in`, C speed), so a page without
# any of them costs one lower() and a few substring searches. A count, so a news story's one "answered" weighs
# little against a thread's "asked 3 years ago ... 5 answers ... 12 votes".
_WHEN = r"[ \t]+(?:\d+[ \t]+\w+[ \t]+ago|[a-z]{3}[ \t]+\d|yesterday|today)"
FORUM_PATTERNS: dict[str, re.Pattern[str]] = {literal: re.compile(pattern) for literal, pattern in {
    "asked": r"asked" + _WHEN, "answered": r"answered" + _WHEN,
    "answer": r"answers?\b", "vote": r"(?:up)?votes?\b", "repl": r"replies\b",  # counted after a number only
    "accepted answer": "accepted answer", "best answer": "best answer", "helpful answer": "helpful answer",
    "antwort": r"antworten\b|antwort\b(?<=beste antwort)", "beantwortet": "beantwortet",
    "respuesta": r"respuestas?\b", "respondid": r"respondid[ao]\b",
    "réponse": r"réponses?[ \t]+(?:acceptée|utile|\(\d)|réponse\b(?<=meilleure réponse)",
    "ответ": r"ответов\b|ответ\b(?<=лучший ответ)", "respost": r"respostas\b|resposta\b(?<=melhor resposta)",
    "rispost": r"risposte\b|risposta\b(?<=miglior risposta)", "cevap": r"cevaplar\b|cevap\b(?<=en iyi cevap)",
    "yanıt": r"yanıtlar\b", "إجاب": r"إجابات|إجابة(?<=أفضل إجابة)",
    "答": r"答案|回答数|个回答|個回答", "已解决": "已解决", "ベストアンサー": "ベストアンサー",
    "질문자": "질문자", "채택": "채택", "답변": r"답변",
}.items()}
# These count only right after a number ("5 answers", "12 votes", "3 replies"): news has "answers" and "votes" too.
AFTER_NUMBER = frozenset({"answer", "vote", "repl", "답변", "答"})
NUMBER_BEFORE_RE = re.compile(r"\d[ \t]?$")


def _forum_words(text: str) -> int:
    lower = text.lower()
    count = 0
    for literal, rx in FORUM_PATTERNS.items():
        if literal not in lower:
            continue
        if literal in AFTER_NUMBER:
            count += sum(1 for m in rx.finditer(lower) if NUMBER_BEFORE_RE.search(lower, max(0, m.start() - 2),
                                                                                  m.start()))
        else:
            count += len(rx.findall(lower))
    return count


def _is_code_line(line: str, stripped: str) -> bool:
    if CODE_STATEMENT_RE.match(stripped):
        return True
    last = stripped[-1]
    if last in CODE_END_CHARS and CODE_PUNCT_RE.search(stripped) and not CJK_RE.search(stripped):
        return True
    if not stripped.strip(BRACKET_CHARS):
        return True
    return line[0] in " \t" and last in INDENT_END_CHARS  # indented (where normalisation kept indentation)


def subset_signals(text: str | None) -> dict[str, int | float | None] | None:
    """Every subset signal of one text; None for a null text, zeros (and null shares) for an empty one."""
    if text is None:
        return None
    lines = code = questions = answered = markers = equations = arithmetic = 0
    after_question = False
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        lines += 1
        question = stripped.rstrip(CLOSING_CHARS).endswith(QUESTION_MARKS)
        questions += question
        answered += after_question and not question and len(stripped) >= MIN_ANSWER_CHARS
        after_question = question
        head = stripped[:MARKER_PREFIX_CHARS]
        if (":" in head or "." in head or ")" in head or "：" in head) and QA_MARKER_RE.match(stripped):
            markers += 1
        code += _is_code_line(line, stripped)
        if "=" in stripped:
            arithmetic += len(ARITHMETIC_RE.findall(stripped))
            if (len(stripped) <= MAX_EQUATION_LINE_CHARS and stripped[-1] not in ";{"
                    and EQUATION_RE.search(stripped)):
                equations += 1
    math_tokens = arithmetic
    if not text.isascii():
        math_tokens += len(MATH_CHAR_RE.findall(text))
    if "^" in text:
        math_tokens += len(CARET_RE.findall(text))
    if "_" in text:
        math_tokens += len(SUBSCRIPT_RE.findall(text))
    n_chars = len(text)
    return {
        "math_latex_commands": len(set(LATEX_RE.findall(text))) if "\\" in text else 0,
        "math_symbol_density": PER_CHARS * math_tokens / n_chars if n_chars else None,
        "math_equation_lines": equations,
        "code_lines": code,
        "code_line_frac": code / lines if lines else None,
        "qa_question_lines": questions,
        "qa_answered_questions": answered,
        "qa_marker_lines": markers,
        "qa_forum_words": _forum_words(text),
    }


def score_texts(texts: Iterable[str | None]) -> dict[str, list]:
    """One list per subset signal, one value per text (None for a null text): the scorer's batch body."""
    rows = [subset_signals(t) if isinstance(t, str) else None for t in texts]
    return {name: [r[name] if r is not None else None for r in rows] for name in SIGNAL_NAMES}
