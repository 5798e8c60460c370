"""The intent index: every intent scored, 0 to 1, for a customer's message.

The index is lexical, built from each intent's example phrasings in well under a second:

* **Features.** Words, word bigrams, character n-grams, and CJK characters and pairs: see
  ``routing/features.py``.
* **Weights.** A feature is weighted by how few *intents* use it (inverse intent
  frequency), not how few examples do. A word found in every intent tells routing
  nothing, however rare it is overall. Term counts are dampened with ``1 + log(count)``.
* **Score.** A message scores an intent by the mean of two cosine similarities: to the
  intent's nearest example, and to the centroid of all its examples. The nearest example
  rewards a close paraphrase; the centroid rewards words the intent's phrasings share.
  The centroid is compared script by script: the message's Chinese features with the
  intent's Chinese ones, its other features with the others, and the two similarities
  averaged by each part's share of the message. A bilingual intent's English phrasings then
  do not dilute its Chinese ones, nor the other way round: adding Chinese examples leaves
  every English score as it was, and a Chinese message can score as high as an English one.
  An English word no intent has (``iPhone``, ``Nike``), or a number (``15``), in a mostly
  Chinese message weighs as one of its features, not all of them, and so does each pair of
  words it is in (``air max``): a word brings 10 to 20 features, a Chinese character 2, so
  the unknown name would otherwise outweigh the whole request (``我想退货 Nike`` scored
  0.37 that way, and scores 0.71; ``我想退货`` 0.82).
  Both similarities lie between 0 and 1 and do not depend on other messages, so a threshold in
  ``servicebot.yaml`` means the same thing for every message (feature weights depend on
  the bot's intents, so scores move a little when intents are added). A message equal
  to one of an intent's examples scores about 0.6 to 0.9.

Hand-written rather than taken from a BM25 library: those rank documents, and routing
needs intents, calibrated 0-1 scores, and CJK without a word segmenter. numpy keeps a
query under a millisecond with 10,000 examples.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ..faq import Intent
from .features import (
    CJK_MARK,
    CJK_RUN,
    LONGEST_WORD,
    features,
    features_of_word,
    token_features,
    tokens_of,
)
from .matrix import ByFeature, Floats, IntentBlocks, Ints, Rows, distinct, group_sums

_CANDIDATES = 64  # examples scored in full per message (see IntentIndex._example_scores)
# With few examples an intent, the nearest example is looked for among the best intents by
# centroid instead (see IntentIndex._scores): this many intents, when their
# examples number at most _CANDIDATE_ROWS on average. Chosen on an 80/20 split of BANKING77's
# train rows: 12 intents kept validation top-1 at the exact 0.858 and recall@3 at 0.954
# (exact: 0.956; 16 intents: 0.955; 8: 0.856 and 0.949).
_CANDIDATE_INTENTS, _CANDIDATE_ROWS = 12, 192
_COMMON_SHARE, _COMMON_MINIMUM = 0.05, 50
_ABOUT_EXAMPLES = 2.0  # the weight of an intent's name, description and answer in its centroid


class Match(NamedTuple):
    """An intent and how well a message matches it, 0 to 1 (a named tuple: made per message)."""

    intent: Intent
    score: float


class IntentIndex:
    """The routing index over a fixed set of intents; immutable once built.

    One sparse matrix holds a row per example and, after them, a row per intent centroid,
    stored by feature so that scoring a message touches only the features it has.
    """

    def __init__(self, intents: Sequence[Intent]) -> None:
        if not intents:
            raise ValueError("an intent index needs at least one intent")
        self.intents = tuple(intents)
        self._example_count = sum(len(intent.examples) for intent in intents)
        cells = self._count_features(intents)
        if not self._vocabulary:
            raise ValueError("no intent has a word or a Chinese character to index")
        example = cells.rows < self._example_count  # the rest are the intents' about rows
        used_by = _distinct_per_feature(
            cells.intents[example], cells.features[example], len(self._vocabulary)
        )
        self._weights = np.log((1 + len(intents)) / (1 + used_by)) + 1
        self._query_weights = np.append(self._weights, math.log(1 + len(intents)) + 1)
        weights = self._unit_weights(cells)
        self._cjk = np.fromiter(
            (f.startswith(CJK_MARK) for f in self._vocabulary), bool, len(self._vocabulary)
        )
        centroids = _centroids(cells, weights, self._example_count, self._cjk)
        self._centroids = ByFeature(*centroids, len(intents))
        examples_of = np.array([len(intent.examples) for intent in intents])
        self._first_example = np.cumsum(examples_of) - examples_of
        mean_examples = self._example_count / len(intents)
        few_examples = (
            len(intents) > _CANDIDATE_INTENTS
            and _CANDIDATE_INTENTS * mean_examples <= _CANDIDATE_ROWS
        )
        owner = cells.intents[example]
        self._blocks = (
            IntentBlocks.build(
                owner,
                cells.rows[example] - self._first_example[owner],
                cells.features[example],
                weights[example],
                examples_of,
                len(self._vocabulary),
            )
            if few_examples
            else None
        )
        if self._blocks is None:  # see _scores for why, and when, blocks are used
            self._index_examples(cells, weights, example)

    def _index_examples(
        self, cells: _Cells, weights: Floats, example: npt.NDArray[np.bool_]
    ) -> None:
        """Index every example by feature, for :meth:`_example_scores`."""
        self._common = _common_features(
            cells.features[example], len(self._vocabulary), self._example_count
        )
        rare, common = (
            example & ~self._common[cells.features],
            example & self._common[cells.features],
        )
        self._rare_examples = ByFeature(
            cells.rows[rare], cells.features[rare], weights[rare], self._example_count
        )
        # Common features numbered 0..n-1, so that a message's share of them is a short vector.
        self._common_slot = np.cumsum(self._common) - 1
        self._common_examples = Rows(
            cells.rows[common],
            self._common_slot[cells.features[common]],
            weights[common],
            self._example_count,
        )

    def scores(self, text: str) -> Floats:
        """Every intent's score for ``text``, in the order the intents were given (with many
        intents of few examples, a lower bound for those far from the message: see _scores)."""
        return self._scores(text)[0]

    def _scores(self, text: str) -> tuple[Floats, Ints | None]:
        """Every intent's score, and the intents the best scores are among (None: any).

        With few examples an intent (many intents, a handful of phrasings each), the
        nearest example is sought only among the 12 best intents by centroid, exactly, and
        is 0 (a lower bound) for the others: scoring those intents' examples in full is
        cheaper than a pass over the rare features of every example, and an intent far
        from the message's centroid is almost never the best match.
        """
        ids, weights, by_script = self.query(text)
        centroid = self._centroids.dot(ids, by_script)
        if self._blocks is None:
            nearest = np.maximum.reduceat(self._example_scores(ids, weights), self._first_example)
            return (nearest + centroid) / 2, None
        best = np.argpartition(centroid, len(centroid) - _CANDIDATE_INTENTS)[-_CANDIDATE_INTENTS:]
        cut = centroid[best].min()
        if np.count_nonzero(centroid == cut) > 1:  # a tie at the cut: the first in YAML order
            above = np.flatnonzero(centroid > cut)
            best = np.concatenate(
                [above, np.flatnonzero(centroid == cut)[: len(best) - len(above)]]
            )
        nearest = np.zeros(len(self.intents))
        nearest[best] = self._blocks.nearest(best, ids, weights)
        # Another intent's score (a lower bound: half its centroid similarity) is no higher
        # than a chosen one's, and ties go to the chosen, which come first in YAML order: so
        # the best _CANDIDATE_INTENTS of these scores are among the chosen.
        return (nearest + centroid) / 2, best

    def query(self, text: str) -> tuple[Ints, Floats, Floats]:
        """``text`` as the index reads it: its known features, their weights (for the
        similarity to examples) and their weights for the centroid similarity (see _query)."""
        tokens, ascii_only = tokens_of(text), text.isascii()
        count = Counter(token_features(tokens, maybe_cjk=not ascii_only))
        scales = None if ascii_only else self._name_scales(tokens)
        return self._query(count, ascii_only, scales)

    def vectors(self, chosen: Sequence[int]) -> IntentVectors:
        """The example rows and centroids of the ``chosen`` intents (by their place), as the
        index scores them: a message's exact similarity to each is its dot product with
        :meth:`query`'s weights (:class:`~servicebot.routing.screen.IntentScreen`)."""
        intents = [self.intents[i] for i in chosen]
        cells = self._cells([Counter(features(text)) for text in _texts(intents)], intents)
        weights = self._unit_weights(cells)
        sizes = [len(intent.examples) for intent in intents]
        examples = sum(sizes)
        example = cells.rows < examples
        return IntentVectors(
            (cells.rows[example], cells.features[example], weights[example]),
            np.repeat(np.arange(len(intents)), sizes),
            _centroids(cells, weights, examples, self._cjk),
        )

    def _unit_weights(self, cells: _Cells) -> Floats:
        """Each cell's weight as the index scores it: its count, damped by a log, times its
        feature's weight, each row then scaled to length 1. The index and :meth:`vectors`
        both weigh so: a screen's scores are exact only while they agree."""
        return _unit_rows(cells.rows, (1 + np.log(cells.counts)) * self._weights[cells.features])

    def _example_scores(self, ids: Ints, weights: Floats) -> Floats:
        """Similarity to every example: exact for the closest candidates, a lower bound elsewhere.

        Exact similarity to all 10,000 examples would touch every example that shares a
        common character n-gram with the message. Features found in many examples are
        left out of a first pass, which finds the candidates; only those get the common
        features' share added. Leaving features out only lowers a similarity, so every
        other example keeps a lower bound, and an intent's best example is almost always
        among the candidates.
        """
        common = self._common[ids]
        scores = self._rare_examples.dot(ids[~common], weights[~common])
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > _CANDIDATES:
            best = np.argpartition(scores[candidates], -_CANDIDATES)[-_CANDIDATES:]
            candidates = candidates[best]
        query = np.zeros(int(self._common.sum()))
        query[self._common_slot[ids[common]]] = weights[common]
        scores[candidates] += self._common_examples.dot(candidates, query)
        return scores

    def rank(self, text: str, k: int) -> list[Match]:
        """The ``k`` best-scoring intents for ``text``, best first (ties keep YAML order)."""
        scores, among = self._scores(text)
        if among is None or k > len(among):
            among = np.arange(len(scores))
        k = min(k, len(among))
        if len(among) > _CANDIDATE_INTENTS:  # too many to sort: keep the best k, and any ties
            values = scores[among]
            among = among[values >= np.partition(values, len(values) - k)[len(values) - k]]
        best = sorted(zip((-scores[among]).tolist(), among.tolist(), strict=True))[:k]
        return [Match(self.intents[i], round(-score, 4)) for score, i in best]

    def _count_features(self, intents: Sequence[Intent]) -> _Cells:
        """Feature counts of every example, then of each intent's name, description and answer."""
        counts = [Counter(features(text)) for text in _texts(intents)]
        # dict.fromkeys and map run in C: this is most of the time a 10,000-example build takes.
        # Interned: the bots of one process (200 shops) share one copy of each feature's text
        # (most character n-grams of a language are in every shop's FAQ), where each kept its
        # own, 0.4 MB for `servicebot init`'s bot. A string no bot keeps is freed as before.
        unique = dict.fromkeys(chain.from_iterable(counts))
        self._vocabulary = dict(zip(map(sys.intern, unique), range(len(unique)), strict=True))
        return self._cells(counts, intents)

    def _cells(self, counts: list[Counter[str]], intents: Sequence[Intent]) -> _Cells:
        """The cells of ``counts`` (of :func:`_texts` of ``intents``), in the vocabulary."""
        owners = np.repeat(np.arange(len(intents)), [len(i.examples) for i in intents])
        owners = np.concatenate([owners, np.arange(len(intents))])
        rows = np.repeat(np.arange(len(counts)), [len(count) for count in counts])
        ids = chain.from_iterable(map(self._vocabulary.__getitem__, c) for c in counts)
        numbers = chain.from_iterable(c.values() for c in counts)
        return _Cells(
            rows,
            np.fromiter(ids, np.int64, len(rows)),
            np.fromiter(numbers, np.float64, len(rows)),
            owners[rows],
        )

    def _query(
        self, count: Counter[str], ascii_only: bool, scales: dict[str, float] | None
    ) -> tuple[Ints, Floats, Floats]:
        """A message's known features and weights, normalised over all its features; and
        the weights for its centroid similarity, each scaled by the length of its script's
        part of the message (see _script_lengths). ``scales`` multiply some features' weights.

        Features no intent has still count in the norm, so a message that is mostly
        about something else scores low everywhere.
        """
        unknown = len(self._vocabulary)  # self._query_weights[unknown] is an unknown's weight
        ids = np.fromiter(map(self._vocabulary.get, count, repeat(unknown)), np.int64, len(count))
        weights = self._query_weights[ids]
        weights *= 1 + np.log(np.fromiter(count.values(), np.float64, len(count)))
        if scales:
            weights *= np.fromiter((scales.get(f, 1.0) for f in count), np.float64, len(count))
        weights /= math.sqrt(float(weights @ weights)) or 1.0
        known = ids < unknown
        if ascii_only:  # one script: its part is the whole message, of length 1
            return ids[known], weights[known], weights[known]
        return ids[known], weights[known], (weights * _script_lengths(count, weights))[known]

    def _name_scales(self, tokens: list[str]) -> dict[str, float]:
        """In a mostly CJK message, the features of each English word no intent has and of
        each number (``15``), with the scale that makes such a word weigh as one of its
        features (see the module's docstring); so do the word pairs it is in (``iphone 15``,
        ``air max``), which no intent has either. A message of more words than CJK letters
        keeps every word whole. Numbers are not words here, as they are not to
        detect_language: ``Nike Air Max 270 能退吗`` is mostly Chinese, and answered so."""
        words = [token for token in tokens if not CJK_RUN.match(token)]
        letters = sum(len(token) for token in tokens if CJK_RUN.match(token))
        if not words or letters < sum(not word.isdigit() for word in words):
            return {}
        scales: dict[str, float] = {}
        previous = ""  # the stem of the word before, as token_features pairs them
        for token in tokens:
            if CJK_RUN.match(token):
                previous = ""
                continue
            word = token[:LONGEST_WORD]
            stem, found = features_of_word(word)
            if "w" + stem not in self._vocabulary or word.isdigit():  # a name, a number
                scale = 1 / math.sqrt(len(found))
                scales.update(dict.fromkeys(found, scale))
                if previous:
                    scales[f"b{previous} {stem}"] = scale
            previous = stem
        return scales


@dataclass(frozen=True)
class IntentVectors:
    """Some intents' example rows and centroids as cells: (row, feature, weight) each."""

    examples: tuple[Ints, Ints, Floats]  # rows numbered from 0 across the intents' examples
    owners: Ints  # the intent (0 for the first chosen) of each example row
    centroids: tuple[Ints, Ints, Floats]  # one row per intent, in the order chosen


@dataclass(frozen=True)
class _Cells:
    """The non-zero cells of the example-by-feature count matrix, one entry per cell."""

    rows: Ints  # example
    features: Ints
    counts: Floats
    intents: Ints  # the intent of each cell's example


def _distinct_per_feature(groups: Ints, features: Ints, feature_count: int) -> Floats:
    """For each feature, how many distinct groups (intents) have it."""
    pairs = distinct(groups * feature_count + features)
    return np.bincount(pairs % feature_count, minlength=feature_count).astype(np.float64)


def _unit_rows(rows: Ints, weights: Floats) -> Floats:
    """Scale each row's cells to length 1."""
    norms = np.sqrt(np.bincount(rows, weights * weights))
    return weights / norms[rows]


def _centroids(
    cells: _Cells, weights: Floats, example_count: int, cjk: npt.NDArray[np.bool_]
) -> tuple[Ints, Ints, Floats]:
    """Each intent's centroid as cells: the sum of its unit example rows and its about row,
    its CJK features and its other features (``cjk`` tells them apart) each scaled to length 1.

    The about row (name, description, answers) counts as much as ``_ABOUT_EXAMPLES``
    example phrasings: it helps an intent with few of them and never outweighs many.
    """
    share = np.where(cells.rows < example_count, 1.0, _ABOUT_EXAMPLES)
    feature_count = int(cells.features.max(initial=0)) + 1  # none: a screen of no intents
    keys, where = np.unique(cells.intents * feature_count + cells.features, return_inverse=True)
    rows, features = keys // feature_count, keys % feature_count
    parts = rows * 2 + cjk[features]  # each intent's other features, then its CJK ones
    return rows, features, _unit_rows(parts, group_sums(where, weights * share, len(keys)))


def _script_lengths(count: Counter[str], weights: Floats) -> Floats:
    """For each feature of a message (unit ``weights``), the length of the message's part in
    the feature's script: its CJK features', or its other features'. A centroid's parts have
    length 1 each, so weights scaled by these give the mean of the parts' cosine similarities,
    weighted by each part's share of the message (its squared length)."""
    cjk = np.fromiter((f.startswith(CJK_MARK) for f in count), bool, len(count))
    chinese, other = weights[cjk], weights[~cjk]
    return np.where(cjk, math.sqrt(float(chinese @ chinese)), math.sqrt(float(other @ other)))


def _texts(intents: Sequence[Intent]) -> list[str]:
    """What the index counts features of: every example, then each intent's about text."""
    return [text for intent in intents for text in intent.examples] + list(map(_about, intents))


def _about(intent: Intent) -> str:
    """What an intent says about itself: its name in words, description and answers."""
    return "\n".join([intent.name.replace("_", " "), intent.description, *intent.answer.values()])


def _common_features(
    features: Ints, feature_count: int, example_count: int
) -> npt.NDArray[np.bool_]:
    """Features in more than 5% of examples (and at least 50): left out of the first pass."""
    limit = max(_COMMON_SHARE * example_count, _COMMON_MINIMUM)
    return np.bincount(features, minlength=feature_count) > limit
