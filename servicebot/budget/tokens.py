"""Token counting: exact tiktoken counts from encodings carried offline.

This module owns the two BPE encodings servicebot counts with (``o200k_base`` and
``cl100k_base``), which model uses which, and the chat format's per-message overhead.

The encoding files ship inside the package (``servicebot/encodings/*.tiktoken.gz``, OpenAI's
rank files byte for byte, gzipped). They are read and checked against tiktoken's own pinned
sha256 here, so tiktoken never downloads anything, never writes a cache and never reads
``TIKTOKEN_CACHE_DIR``.
"""

from __future__ import annotations

import binascii
import functools
import gzip
import hashlib
import re
import threading
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import BudgetError

if TYPE_CHECKING:  # imported where an encoding is built: `servicebot check` builds none
    import tiktoken

EncodingName = Literal["o200k_base", "cl100k_base"]

ENCODINGS_DIR = Path(__file__).resolve().parent.parent / "encodings"

# OpenAI cookbook, "How to count tokens with tiktoken": every message costs
# <|start|>{role}<|message|>{content}<|end|>, i.e. 3 tokens plus the role's and the content's
# own tokens; every reply is primed with <|start|>assistant<|message|>, 3 more per request.
MESSAGE_OVERHEAD = 3
REPLY_PRIMING = 3

MESSAGE_CACHE_SIZE = 4096  # (role, content) counts kept per encoding; a long history fits
LINE_CACHE_SIZE = 16_384  # line counts kept per encoding, for long texts (see TokenCounter.count)
# Where a long text may be cut and counted in pieces with the same total: after a line break,
# before anything but whitespace or "/". Both encodings' pre-tokenizer patterns put a line
# break only in pieces of whitespace, or of punctuation followed by line breaks (and, in
# o200k_base, slashes), which end there; so a piece boundary always falls there, and BPE never
# merges across piece boundaries. (Python's \S is narrower than the patterns' Unicode \S,
# so this never cuts where they would not.) Each match is one piece: a line, the lines after
# it that start with whitespace or "/" (or are empty), and the line break that ends it; the
# last match is always an empty string, which counts 0 tokens. (A split on a look-behind and
# look-ahead finds the same places, but tries both at every character: about three times
# slower on a system message.)
# tests/unit/test_tokens.py checks the equality on random texts for both encodings.
_LINES = re.compile(r"[^\n]*(?:\n(?![^\s/])[^\n]*)*\n?")
_WHOLE_TEXT_CHARS = 256  # shorter texts are encoded whole

_ENDOFTEXT = "<|endoftext|>"
_FIM_PREFIX = "<|fim_prefix|>"
_FIM_MIDDLE = "<|fim_middle|>"
_FIM_SUFFIX = "<|fim_suffix|>"
_ENDOFPROMPT = "<|endofprompt|>"


@dataclass(frozen=True)
class _EncodingSpec:
    sha256: str  # of the decompressed rank file; tiktoken's own expected_hash
    pat_str: str
    special_tokens: Mapping[str, int]


# Patterns, special tokens and hashes copied from tiktoken 0.14's tiktoken_ext/openai_public.py
# (cl100k_base() and o200k_base()), which builds them inline and exposes no constants for them.
# tests/unit/test_tokens.py checks them against that module, so a tiktoken upgrade that changes
# them fails loudly.
_SPECS: Mapping[EncodingName, _EncodingSpec] = {
    "o200k_base": _EncodingSpec(
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
    "cl100k_base": _EncodingSpec(
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",  # noqa: E501
        special_tokens={
            _ENDOFTEXT: 100257,
            _FIM_PREFIX: 100258,
            _FIM_MIDDLE: 100259,
            _FIM_SUFFIX: 100260,
            _ENDOFPROMPT: 100276,
        },
    ),
}

# Model name prefix -> encoding; the longest matching prefix wins, so "gpt-4o-mini" takes
# "gpt-4o" over "gpt-4". A model matching nothing gets DEFAULT_ENCODING as an estimate.
_ENCODING_BY_MODEL_PREFIX: Mapping[str, EncodingName] = {
    "gpt-4o": "o200k_base",
    "chatgpt-4o": "o200k_base",
    "gpt-4.1": "o200k_base",
    "gpt-4.5": "o200k_base",
    "gpt-5": "o200k_base",
    "o1": "o200k_base",
    "o3": "o200k_base",
    "o4": "o200k_base",
    "gpt-4": "cl100k_base",  # gpt-4, gpt-4-turbo*, gpt-4-32k*, gpt-4-0613, ...
    "gpt-3.5-turbo": "cl100k_base",
    "gpt-35-turbo": "cl100k_base",  # Azure's spelling
}
DEFAULT_ENCODING: EncodingName = "o200k_base"


def encoding_name_for(model: str | None, configured: EncodingName | None) -> EncodingName:
    """The encoding to count with: the configured one, else the model's, else o200k_base.

    Provider prefixes ("openai/gpt-4o") and fine-tune prefixes ("ft:gpt-4o-mini:org::id") are
    ignored. For models OpenAI did not make the answer is an estimate.
    """
    if configured is not None:
        return configured
    return known_encoding(model) or DEFAULT_ENCODING


def known_encoding(model: str | None) -> EncodingName | None:
    """The encoding of an OpenAI model ``model`` (see encoding_name_for); None for any other
    model (Qwen, DeepSeek, Llama...), whose tokenizer servicebot does not carry."""
    base = (model or "").rsplit("/", 1)[-1].strip().lower().removeprefix("ft:")
    matches = [prefix for prefix in _ENCODING_BY_MODEL_PREFIX if base.startswith(prefix)]
    return _ENCODING_BY_MODEL_PREFIX[max(matches, key=len)] if matches else None


# functools.cache does not stop two threads computing the same value at once, and an
# encoding costs ~60 MB and ~0.3 s to load: the first counts of a threaded server would each
# load their own. Loading is done under this lock, once.
_LOADING = threading.Lock()


@functools.cache
def load_encoding(name: EncodingName) -> tiktoken.Encoding:
    """The packaged encoding ``name``, read and verified once per process."""
    with _LOADING:
        return _read_packaged(name)


@functools.cache
def _read_packaged(name: EncodingName) -> tiktoken.Encoding:
    return read_encoding(name, ENCODINGS_DIR)


def read_encoding(name: EncodingName, directory: Path) -> tiktoken.Encoding:
    """Read ``<directory>/<name>.tiktoken.gz``, check its sha256 and build the encoding.

    Raises BudgetError naming the file if it is missing, not gzip, or not the expected bytes.
    """
    spec = _SPECS[name]
    path = directory / f"{name}.tiktoken.gz"
    ranks = _parse_ranks(_read_verified(path, spec.sha256))
    import tiktoken  # 2.5 ms, which a process that counts no tokens never spends

    return tiktoken.Encoding(
        name=name,
        pat_str=spec.pat_str,
        mergeable_ranks=ranks,
        special_tokens=dict(spec.special_tokens),
    )


def _read_verified(path: Path, sha256: str) -> bytes:
    """The decompressed contents of ``path``, which must hash to ``sha256``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:  # deleted from the installation: not a damaged file
        raise _reinstall(f"encoding file {path} is missing") from exc
    except OSError as exc:
        raise _damaged(path, f"it cannot be read ({exc.strerror or exc})") from exc
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise _damaged(path, f"it cannot be read as gzip ({exc})") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise _damaged(path, f"its contents hash to sha256 {actual}, expected {sha256}")
    return data


def _damaged(path: Path, why: str) -> BudgetError:
    return _reinstall(f"encoding file {path} is damaged: {why}")


def _reinstall(problem: str) -> BudgetError:
    """``problem`` with a packaged file, and the way to get the file back."""
    return BudgetError(
        f"{problem}; reinstall servicebot (pip install --force-reinstall servicebot)"
    )


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    """Rank file lines are ``<base64 token> <rank>``; the hash was checked, so they are sound."""
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, _, rank = line.partition(b" ")
            ranks[binascii.a2b_base64(token)] = int(rank)
    return ranks


class TokenCounter:
    """Counts, encodes and truncates text exactly as one encoding does.

    Special-token text such as "<|endoftext|>" in customer messages is plain text here: it is
    counted like any other characters and never raises.
    """

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.encoding = encoding
        self.name = encoding.name
        # One chat message's tokens, overhead and role included; cached by (role, content).
        # An attribute rather than a method calling it: dozens of look-ups a turn.
        self.count_message: Callable[[str, str], int] = functools.lru_cache(
            maxsize=MESSAGE_CACHE_SIZE
        )(self._count_message_uncached)
        self._line_tokens = functools.lru_cache(maxsize=LINE_CACHE_SIZE)(self._count_whole)

    def __repr__(self) -> str:
        return f"TokenCounter({self.name!r})"

    def encode(self, text: str) -> list[int]:
        return self.encoding.encode_ordinary(text)

    def count(self, text: str) -> int:
        """``text``'s tokens. A long text is counted line by line, each line's count cached:
        a system prompt is mostly the same lines turn after turn, with a few FAQ answers that
        recur too, so a new one costs a few cache lookups instead of a full encode."""
        if len(text) <= _WHOLE_TEXT_CHARS:
            return self._count_whole(text)
        return sum(map(self._line_tokens, _LINES.findall(text)))

    def _count_whole(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def count_messages(self, pairs: Iterable[tuple[str, str]]) -> int:
        """A whole request's prompt tokens: every message plus the reply priming."""
        return sum(self.count_message(role, content) for role, content in pairs) + REPLY_PRIMING

    def truncate(self, text: str, max_tokens: int) -> str:
        """``text`` cut after its first ``max_tokens`` tokens (fewer if re-counting needs it).

        The result is a prefix of ``text`` counting at most ``max_tokens``. A multi-byte
        character split by the cut is dropped whole, never half kept, and so is a character
        the customer sees as one but is several (see :func:`_cluster_start`).
        """
        tokens = self.encode(text)
        if len(tokens) <= max_tokens:
            return text
        for keep in range(max(max_tokens, 0), -1, -1):
            cut = _utf8_prefix(self.encoding.decode_bytes(tokens[:keep]))
            cut = cut[: _cluster_start(text, len(cut))]
            if self.count(cut) <= max_tokens:  # re-encoding a prefix can merge differently
                return cut
        return ""  # not reached: keep == 0 gives ""

    def _count_message_uncached(self, role: str, content: str) -> int:
        return MESSAGE_OVERHEAD + self.count(role) + self.count(content)


def _utf8_prefix(data: bytes) -> str:
    """``data`` decoded, minus any incomplete character at its end."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data[: exc.start].decode("utf-8")


# What joins the character before it into one user-perceived character: the zero-width
# joiner (an emoji family), variation selectors (🏳️), skin tones (👍🏽), emoji tags (a
# subdivision flag); combining marks (é as e and U+0301, Indic vowel signs, keycaps) are
# told by their category. Hand-written rather than a new dependency (the ``regex`` module's
# \X): a cut needs only "does a cluster go on here", and these rules, regional-indicator
# pairs (flags) and Indic conjuncts cover what customers type; not Hangul jamo sequences,
# which arrive composed.
_EXTENDS = re.compile(
    "[\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\U000e0100-\U000e01ef]"
)
_REGIONAL = re.compile("[\U0001f1e6-\U0001f1ff]")
_LONGEST_CLUSTER = 64  # no real one is longer: past it, a run of marks is cut where it falls


def _cluster_start(text: str, end: int) -> int:
    """Where the cluster that ``text[:end]`` would split starts (``end`` if none is split):
    a message cut inside an emoji family ended in a joiner and half a family."""
    start = end
    while 0 < start < len(text) and _joined(text, start):
        start -= 1
        if end - start >= _LONGEST_CLUSTER:
            return end
    stop = end
    while start < stop < len(text) and _joined(text, stop):
        stop += 1
        if stop - start >= _LONGEST_CLUSTER:
            return end
    return start


def _joined(text: str, at: int) -> bool:
    """Whether ``text[at - 1]`` and ``text[at]`` belong to one cluster."""
    before, after = text[at - 1], text[at]
    if before == "\u200d" or _EXTENDS.match(after) or unicodedata.category(after)[0] == "M":
        return True
    if unicodedata.combining(before) == 9 and after.isalpha():  # a virama: क्ष is one
        return True
    if before == "\r":
        return after == "\n"
    if _REGIONAL.match(before) and _REGIONAL.match(after):  # flags pair from the run's start
        first = at - 1
        while first > 0 and _REGIONAL.match(text[first - 1]):
            first -= 1
        return (at - first) % 2 == 1
    return False


@functools.cache
def _counter(name: EncodingName) -> TokenCounter:
    return TokenCounter(load_encoding(name))


def counter_for(model: str | None, configured: EncodingName | None) -> TokenCounter:
    """The shared TokenCounter for a model, or for the configured encoding if one is set."""
    name = encoding_name_for(model, configured)
    load_encoding(name)  # under the lock, so that threads asking at once share one counter
    with _COUNTING:
        return _counter(name)


_COUNTING = threading.Lock()
