"""A screen of many messages against a few intents: each message's exact score for them.

Routing a message ranks every intent, and with many intents of many examples it gives an
intent far from the message a lower bound, not its score (see ``routing/index.py``). A
question about a few intents for thousands of messages (``servicebot check``: which
phrasings could reach a handoff intent?) is answered far faster by scoring only those
intents, exactly, for a batch of messages at a time as one dense product. Exact scores are
never below the ones routing reports, so a message scoring under a threshold here scores
under it in routing too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .index import IntentIndex
from .matrix import Floats, Ints, distinct, run_sums

_BATCH = 256  # messages scored at once: 256 by a few thousand features of float64, a few MB


class IntentScreen:
    """The ``chosen`` intents of ``index`` (by their place), ready to score many messages."""

    def __init__(self, index: IntentIndex, chosen: Sequence[int]) -> None:
        self._index = index
        vectors = index.vectors(chosen)
        rows, features, weights = vectors.examples
        centroid_rows, centroid_features, centroid_weights = vectors.centroids
        self._features = distinct(np.concatenate([features, centroid_features]))
        self._examples = self._dense(rows, features, weights, len(vectors.owners))
        self._centroids = self._dense(
            centroid_rows, centroid_features, centroid_weights, len(chosen)
        )
        self._first_example = np.searchsorted(vectors.owners, np.arange(len(chosen)))

    def highest(self, texts: Sequence[str]) -> Floats:
        """Each text's highest score among the chosen intents (0 with none chosen)."""
        if not texts or not self._centroids.shape[1]:
            return np.zeros(len(texts))
        return np.concatenate(
            [self._batch(texts[start : start + _BATCH]) for start in range(0, len(texts), _BATCH)]
        )

    def _batch(self, texts: Sequence[str]) -> Floats:
        """As :meth:`highest`, for a batch of texts: each text's features (those the chosen
        intents have; others add nothing) gather the intents' rows, summed text by text."""
        queries = [self._index.query(text) for text in texts]
        owner = np.repeat(np.arange(len(texts)), [len(ids) for ids, _, _ in queries])
        ids, weights, by_script = (np.concatenate(part) for part in zip(*queries, strict=True))
        slots = self._slots(ids)
        used = slots >= 0
        starts = np.searchsorted(owner[used], np.arange(len(texts) + 1))
        firsts, empty = starts[:-1], starts[:-1] == starts[1:]
        nearest = run_sums(self._examples[slots[used]] * weights[used, None], firsts, empty)
        centroid = run_sums(self._centroids[slots[used]] * by_script[used, None], firsts, empty)
        nearest = np.maximum.reduceat(nearest, self._first_example, axis=1)
        scores: Floats = ((nearest + centroid) / 2).max(axis=1)
        return scores

    def _slots(self, ids: Ints) -> Ints:
        """Each feature's column in the screen's dense rows, or -1 if it has none."""
        slots = np.searchsorted(self._features, ids)
        found = slots < len(self._features)
        found[found] = self._features[slots[found]] == ids[found]
        return np.where(found, slots, -1)

    def _dense(self, rows: Ints, features: Ints, weights: Floats, row_count: int) -> Floats:
        """Cells as a dense matrix of a row per screened feature, and ``row_count`` columns."""
        matrix = np.zeros((len(self._features), row_count))
        matrix[self._slots(features), rows] = weights
        return matrix
