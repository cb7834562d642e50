"""Topic labels on SIB-200 (the same 1,004 FLORES sentences in 14 languages): accuracy on the topics that map onto
WebOrganizer's taxonomy, and cross-language consistency (each language's label equal to the English label).

SIB-200 is evaluation only: never seeds, training or tuning (issue 26). The seven SIB topics map as SIB_TO_TOPIC;
geography has no WebOrganizer topic (nearest would be Travel or Science & Technology), so its sentences count in the
agreement figure but not in accuracy. Every split (train, dev, test) is read: none is used to fit anything here.
``python -m evals.domains_sib200_eval [--model DIR]`` prints the JSON; ``run(predict)`` is the callable form.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
SIB = ROOT.parent / "shared" / "data" / "topic_sib200"
SPLITS = ("train", "dev", "test")
# SIB-200 folder -> the pipeline's language code.
LANGUAGES = {"eng_Latn": "en", "arb_Arab": "ar", "deu_Latn": "de", "fra_Latn": "fr", "spa_Latn": "es",
             "rus_Cyrl": "ru", "zho_Hans": "zh", "por_Latn": "pt", "ita_Latn": "it", "tur_Latn": "tr",
             "jpn_Jpan": "ja", "kor_Hang": "ko", "hin_Deva": "hi", "ind_Latn": "id"}
ENGLISH = "eng_Latn"
SIB_TO_TOPIC = {"science/technology": "Science & Technology", "travel": "Travel", "politics": "Politics",
                "sports": "Sports & Fitness", "health": "Health", "entertainment": "Entertainment",
                "geography": None}
TARGET_AGREEMENT = 0.80

Predict = Callable[[Sequence[str], str], Sequence[str]]  # (texts, language) -> one topic each


def load_sib(root: Path = SIB) -> dict[str, dict[int, tuple[str, str]]]:
    """{folder: {index_id: (category, text)}} over every split."""
    out: dict[str, dict[int, tuple[str, str]]] = {}
    for folder in LANGUAGES:
        rows: dict[int, tuple[str, str]] = {}
        for split in SPLITS:
            with (root / folder / f"{split}.tsv").open(encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                    rows[int(row["index_id"])] = (row["category"], row["text"])
        out[folder] = rows
    return out


def run(predict: Predict, root: Path = SIB) -> dict:
    """Accuracy on mapped topics per language, agreement with English per language, and their means."""
    if not root.is_dir():
        return {"skipped": f"{root} not found"}
    data = load_sib(root)
    predicted: dict[str, dict[int, str]] = {}
    t0 = time.process_time()
    for folder, rows in data.items():
        ids = sorted(rows)
        predicted[folder] = dict(zip(ids, predict([rows[i][1] for i in ids], LANGUAGES[folder])))
    cpu = time.process_time() - t0
    english = predicted[ENGLISH]
    per_language = {}
    for folder, rows in data.items():
        mapped = [(SIB_TO_TOPIC[cat], predicted[folder][i]) for i, (cat, _) in rows.items() if SIB_TO_TOPIC[cat]]
        per_class = defaultdict(lambda: [0, 0])
        for truth, guess in mapped:
            per_class[truth][0] += truth == guess
            per_class[truth][1] += 1
        agree = sum(predicted[folder][i] == english[i] for i in rows)
        per_language[LANGUAGES[folder]] = {
            "sentences": len(rows),
            "accuracy_mapped": round(sum(t == g for t, g in mapped) / len(mapped), 4),
            "agreement_with_en": round(agree / len(rows), 4),
            "accuracy_per_topic": {k: round(c / n, 3) for k, (c, n) in sorted(per_class.items())},
        }
    others = [v["agreement_with_en"] for k, v in per_language.items() if k != "en"]
    mean_agree = round(sum(others) / len(others), 4)
    return {
        "mapping": SIB_TO_TOPIC,
        "per_language": per_language,
        "mean_accuracy_mapped": round(sum(v["accuracy_mapped"] for v in per_language.values()) / len(per_language), 4),
        "mean_agreement_with_en": mean_agree,
        "min_agreement_with_en": min(others),
        "target_agreement": TARGET_AGREEMENT,
        "target_met": mean_agree >= TARGET_AGREEMENT,
        "cpu_ms_per_sentence": round(1000 * cpu / sum(len(r) for r in data.values()), 4),
    }


def model_predict(model_dir: str | None = None) -> Predict:
    """The topic silver would store, from the bundled (or a saved) domain model, as a Predict."""
    from etl.models.domain_model import load_domain_model
    from etl.models.domain_predict import predict_labels

    model = load_domain_model(model_dir)

    def predict(texts: Sequence[str], language: str) -> list[str]:
        return predict_labels(model, texts, [language] * len(texts))["topic"]

    return predict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model directory saved by jobs/train_domains.py (default: the bundled one)")
    args = parser.parse_args(argv)
    json.dump(run(model_predict(args.model)), sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
