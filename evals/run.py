"""`make eval`: quality parity with datatrove, keep rates per language, badwords, toxicity (lexicon and the
classifier left out one dataset at a time), language id, dedup quality, the code/math/Q&A subsets,
PII precision/recall per kind and decontamination recall,
written together to reports/eval.json. Parts that need ../shared/data skip cleanly without it."""

from __future__ import annotations

import json
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "reports" / "eval.json"


def _part(name: str, fn) -> dict:
    print(f"eval: {name} ...", flush=True)
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:
        traceback.print_exc()
        out = {"error": f"{type(exc).__name__}: {exc}"}
    out["eval_seconds"] = round(time.perf_counter() - t0, 1)
    return out


def main() -> int:
    from evals import (badwords_eval, dedup_eval, langid_short_eval, language_fairness, quality_parity,
                       subsets_eval, toxicity_dimensions_eval, toxicity_embedding_eval, toxicity_generalisation_eval,
                       toxicity_lexicon_eval)
    from etl.spark import get_spark

    report: dict = {"generated_at": datetime.now(timezone.utc).isoformat()}
    report["quality_parity"] = _part("quality_parity", quality_parity.run)
    report["language_fairness"] = _part("language_fairness", language_fairness.run)
    report["badwords"] = _part("badwords", badwords_eval.run)
    lexicon = _part("toxicity.lexicon", toxicity_lexicon_eval.run)
    spark = get_spark()
    classifier = _part("toxicity.classifier", lambda: toxicity_generalisation_eval.run(spark))
    embedding = _part("toxicity.embedding", toxicity_embedding_eval.run)
    report["toxicity"] = {
        "lexicon_macro_f1": lexicon.get("lexicon_macro_f1"),
        "classifier_mean_roc_auc_left_out": classifier.get("mean_roc_auc"),
        "embedding_mean_roc_auc_left_out": embedding.get("mean_roc_auc"),
        "embedding": embedding,
        "lexicon": {k: v for k, v in lexicon.items() if k != "langid"},
        "classifier": classifier,
        "dimensions": _part("toxicity.dimensions", lambda: toxicity_dimensions_eval.run(spark)),
    }
    short_text = _part("langid.short_text", langid_short_eval.run)
    report["langid"] = {**(lexicon.get("langid") or {}), "short_text": short_text}
    report["dedup"] = _part("dedup", lambda: dedup_eval.run(spark))
    from evals import pii_eval

    report["privacy"] = _part("privacy", lambda: pii_eval.run(spark))
    report["subsets"] = _part("subsets", subsets_eval.run)
    from evals import domains_heldout_eval, domains_sib200_eval

    report["domains"] = {
        "heldout": _part("domains.heldout", domains_heldout_eval.run),
        "sib200": _part("domains.sib200", lambda: domains_sib200_eval.run(domains_sib200_eval.model_predict())),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("quality_parity",)}, indent=1, default=str)[:3000])
    print(f"eval: wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
