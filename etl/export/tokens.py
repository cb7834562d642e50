"""Token counts of exported text: a Hugging Face `tokenizers` tokenizer chosen by export.tokenizer (by default the
GPT-2 byte-level BPE shipped in etl/resources/tokenizers), counted on the executors a whole Arrow batch at a time;
or regex \\w+ words when export.tokenizer is "words". Words are counted either way."""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass, field
from importlib.abc import Traversable
from pathlib import Path
from typing import Sequence

from etl import bundled
from etl.config import BUNDLED_TOKENIZER, TOKENIZER_WORDS
from etl.io.sources import has_scheme, local_path

WORD_RE = re.compile(r"\w+")
WORD_METHOD = ("words: count of regex \\w+ matches (Python re, Unicode) in the text; a whitespace/punctuation word "
               "count, not a model tokenizer (a run of Han or Kana characters counts as one word)")
BUNDLED_TOKENIZERS = {BUNDLED_TOKENIZER: "gpt2.json.gz"}  # export.tokenizer name -> file in etl.bundled.TOKENIZERS
GZIP_MAGIC = b"\x1f\x8b"
GZIP_MTIME = 0  # bundled files carry no timestamp: the same tokenizer, the same bytes


class TokenizerError(ValueError):
    """export.tokenizer names no readable tokenizer (the export CLI maps it to exit code 2)."""


@dataclass(frozen=True)
class TokenizerSpec:
    """A tokenizer as it travels to the executors, loaded there once per Python worker: a user's file as its JSON
    text (the executors need not see the driver's disk), a bundled one by name (they have the package)."""

    name: str  # BUNDLED_TOKENIZER or the file's name
    source: str  # where it was read: the bundled resource or the user's path
    sha256: str  # of the tokenizer JSON (uncompressed): says exactly which tokenizer counted
    json: str | None = field(default=None, repr=False)  # None: bundled, read from the package where it is used

    def text(self) -> str:
        return self.json if self.json is not None else _json_of(bundled_resource(BUNDLED_TOKENIZERS[self.name])
                                                                  .read_bytes())

    def describe(self) -> str:
        return (f"tokens: Hugging Face tokenizers ({self.name}, sha256 {self.sha256[:12]}) over the text, no special "
                f"tokens added; an empty or null text has 0")


def bundled_resource(file: str) -> Traversable:
    """A file shipped in etl/resources/tokenizers (also inside a zip that `etl` is imported from)."""
    return bundled.resource(bundled.TOKENIZERS, file)


def load_tokenizer(setting: str) -> TokenizerSpec | None:
    """The tokenizer export.tokenizer names (None for words only); TokenizerError when it cannot be read."""
    setting = setting.strip()
    if setting.lower() == TOKENIZER_WORDS:
        return None
    if setting in BUNDLED_TOKENIZERS:
        data, source = bundled_resource(BUNDLED_TOKENIZERS[setting]).read_bytes(), f"etl/{bundled.RESOURCES}/{bundled.TOKENIZERS}"
        name = setting
    else:
        if has_scheme(setting) and not setting.startswith("file:"):
            raise TokenizerError(f"export.tokenizer {setting}: give a local tokenizer.json path")
        path = Path(local_path(setting))
        if not path.is_file():
            raise TokenizerError(f"export.tokenizer {setting}: no such file (give {BUNDLED_TOKENIZER}, "
                                 f"{TOKENIZER_WORDS} or a tokenizers JSON file)")
        data, source, name = path.read_bytes(), str(path.resolve()), path.name
    text = _json_of(data)
    try:
        _tokenizer_from(text)
    except Exception as exc:
        raise TokenizerError(f"export.tokenizer {setting}: not a tokenizers JSON file ({exc})") from None
    return TokenizerSpec(name=name, source=source, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                         json=None if setting in BUNDLED_TOKENIZERS else text)


def _json_of(data: bytes) -> str:
    """A tokenizer file's JSON text, gunzipped when it is gzip."""
    return (gzip.decompress(data) if data.startswith(GZIP_MAGIC) else data).decode("utf-8")


def _tokenizer_from(text: str):
    from tokenizers import Tokenizer

    return Tokenizer.from_str(text)


_LOADED: dict[str, object] = {}  # sha256 -> Tokenizer, once per Python worker


def word_counts(texts: Sequence[str | None]) -> list[int]:
    return [sum(1 for _ in WORD_RE.finditer(t)) if t else 0 for t in texts]


def token_counts(texts: Sequence[str | None], spec: TokenizerSpec) -> list[int]:
    """Tokens per text, encoded as one batch (no special tokens added); None and "" count 0."""
    tok = _LOADED.get(spec.sha256)
    if tok is None:
        tok = _LOADED[spec.sha256] = _tokenizer_from(spec.text())
    present = [i for i, t in enumerate(texts) if t]
    counts = [0] * len(texts)
    if present:
        for i, enc in zip(present, tok.encode_batch_fast([texts[i] for i in present], add_special_tokens=False)):
            counts[i] = len(enc.ids)
    return counts


def count_method(spec: TokenizerSpec | None) -> str:
    """What `tokens` means in a manifest: the tokenizer's description, or the word count's."""
    return spec.describe() if spec is not None else WORD_METHOD
