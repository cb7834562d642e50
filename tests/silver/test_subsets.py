"""Code, math and Q&A subsets: silver's signals on tiny texts (None and empty included), the catalog's flag
conditions, gold's flag columns (thresholds from config, nulls never flag) and the scorer in silver's schema."""

from __future__ import annotations

import pytest

from etl.catalog import SUBSET_CRITERIA, SUBSET_SIGNALS, SUBSETS, SUBSETS_BY_NAME
from etl.config import ConfigError, GoldConfig, PipelineConfig, load_config
from etl.gold.subsets import SUBSET_COLUMNS, with_subset_flags
from etl.silver.scorers import SubsetScorer, scorers_for
from etl.silver.subsets import SIGNAL_NAMES, score_texts, subset_signals

PYTHON = """How do I square a number in Python?
def square(x):
    return x ** 2
for i in range(3):
print(square(i))
result = square(4);
}"""
JAVA = "public class Shape {\nprivate Color colour;\npublic void setColour(Color c){\ncolour = c;\n}\n}"
LATEX = r"The identity $\sum_{k=1}^n k = \frac{n(n+1)}{2}$ holds; also $\int_0^1 x\,dx$ and \alpha, \alpha again."
ARITHMETIC = "Janet sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = 18 dollars.\nx = 18\ny = 2x + 1\nz = y"
FAQ = ("Q: How long does shipping take?\nA: Orders arrive within five working days in most countries.\n"
       "Frage: Kann ich zurückgeben?\nAntwort: Ja, innerhalb von 30 Tagen.\n问：可以退货吗？\n答：可以。")
FORUM = "Why is my loop slow?\nasked 3 years ago\n5 Answers\n12 votes\nBest answer: use a set instead of a list."
PROSE = ("The council met on Tuesday; the vote was close.\nShe asked whether the plan (a draft) would pass.\n"
         "A. Introduction\nThe results were 640 × 480 pixels.\n1、加强管理（重点）；\n2、提高效率；")


def test_signals_of_none_and_empty_text():
    assert subset_signals(None) is None
    empty = subset_signals("")
    assert set(empty) == set(SIGNAL_NAMES) == {s.name for s in SUBSET_SIGNALS}
    assert empty["code_line_frac"] is None and empty["math_symbol_density"] is None
    assert all(v == 0 for k, v in empty.items() if k not in ("code_line_frac", "math_symbol_density"))
    batch = score_texts(["", None, PYTHON])
    assert batch["code_lines"][:2] == [0, None] and batch["code_lines"][2] == 6


def test_code_lines_are_statements_endings_and_brackets():
    python = subset_signals(PYTHON)
    assert python["code_lines"] == 6 and python["code_line_frac"] == pytest.approx(6 / 7)  # not the question
    assert subset_signals(JAVA)["code_lines"] == 6
    assert subset_signals("    x += 1;")["code_lines"] == 1  # indentation kept where normalisation left it
    assert subset_signals("SELECT name, age FROM users WHERE age > 3")["code_lines"] == 1
    # prose ending in ';', a Chinese list with '；' items, "A." enumerations, sizes: not code, not math
    prose = subset_signals(PROSE)
    assert prose["code_lines"] == 0 and prose["math_symbol_density"] == 0 and prose["qa_marker_lines"] == 0


def test_math_signals_count_latex_symbols_and_equations():
    latex = subset_signals(LATEX)
    assert latex["math_latex_commands"] == 4  # sum, frac, int, alpha (counted once)
    assert subset_signals(r"C:\Users\frank\text\new")["math_latex_commands"] == 0  # a path, not LaTeX
    arithmetic = subset_signals(ARITHMETIC)
    assert arithmetic["math_equation_lines"] == 5
    assert arithmetic["math_symbol_density"] == pytest.approx(1000 * 2 / len(ARITHMETIC))  # two worked sums
    assert subset_signals("x ≤ y ± 1 and √2 ∈ ℝ")["math_symbol_density"] == pytest.approx(1000 * 5 / 20)
    assert subset_signals("if (a == b) return c;")["math_equation_lines"] == 0  # code, not an equation


def test_qa_signals_in_several_languages():
    faq = subset_signals(FAQ)
    assert faq["qa_marker_lines"] == 6 and faq["qa_question_lines"] == 3
    forum = subset_signals(FORUM)
    assert forum["qa_forum_words"] == 4 and forum["qa_question_lines"] == 1
    assert forum["qa_answered_questions"] == 0  # "asked 3 years ago" is too short to be an answer
    assert subset_signals("Is it safe?\n" + "Yes, it has been tested for years by many labs.")[
        "qa_answered_questions"] == 1
    assert subset_signals("Is it safe?\nIs it cheap?")["qa_answered_questions"] == 0
    assert subset_signals("هل هو آمن؟")["qa_question_lines"] == 1
    assert subset_signals(PROSE)["qa_forum_words"] == 0  # "asked whether", "the vote" are not forum words


def test_subsets_hold_on_their_examples_only():
    def flags(text):
        s = dict(subset_signals(text), n_chars=len(text))
        return {subset.name for subset in SUBSETS if subset.holds(s)}

    assert flags(PYTHON) == {"code"} and flags(JAVA) == {"code"}
    assert flags(LATEX) == {"math"} and flags(ARITHMETIC) == {"math"}
    assert flags(FAQ) == {"qa"} and flags(FORUM) == {"qa"}
    assert flags(PROSE) == set() and flags("") == set()
    assert not SUBSETS_BY_NAME["code"].holds({"code_lines": None, "code_line_frac": 1.0})
    assert SUBSETS_BY_NAME["math"].holds({"math_latex_commands": 2}, {"math:latex_commands": 2})
    assert all(c.signal in {s.name for s in SUBSET_SIGNALS} | {"n_chars"} for c in SUBSET_CRITERIA.values())


def test_unknown_subset_threshold_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown subset threshold 'math:nope'"):
        load_config(overrides={"silver": {"toxicity_model_path": "none"},
                               "gold": {"subset_thresholds": {"math:nope": 1}}})


def test_gold_flags_follow_config_thresholds_and_never_null(spark):
    cols = ["doc_id", "n_chars", *SIGNAL_NAMES]
    rows = [("code", 100, 0, 0.0, 0, 8, 0.5, 0, 0, 0, 0), ("latex2", 300, 2, 0.0, 0, 0, 0.0, 0, 0, 0, 0),
            ("nulls", None, *[None] * len(SIGNAL_NAMES))]
    df = spark.createDataFrame(rows, cols)
    default = {r.doc_id: r for r in with_subset_flags(df, GoldConfig()).collect()}
    assert (default["code"].is_code, default["code"].is_math, default["latex2"].is_math) == (True, False, False)
    assert [default["nulls"][c] for c in SUBSET_COLUMNS] == [False] * len(SUBSET_COLUMNS)
    looser = GoldConfig(subset_thresholds={"math:latex_commands": 2, "code:lines": 9})
    changed = {r.doc_id: r for r in with_subset_flags(df, looser).collect()}
    assert changed["latex2"].is_math and not changed["code"].is_code
    older = with_subset_flags(df.drop("code_lines"), GoldConfig())  # silver scored before the signal existed
    assert not any(r.is_code for r in older.collect())


def test_scorer_adds_the_catalog_columns_in_silver(spark):
    assert any(isinstance(s, SubsetScorer) for s in scorers_for(PipelineConfig()))
    df = spark.createDataFrame([("a", PYTHON), ("b", None), ("c", "")], "doc_id string, text string")
    out = {r.doc_id: r for r in SubsetScorer().apply(df).collect()}
    assert out["a"].code_lines == 6 and out["b"].code_lines is None and out["c"].code_line_frac is None
