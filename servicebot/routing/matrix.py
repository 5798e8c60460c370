"""The sparse and dense matrix layouts the intent index scores a message with: cells by
feature (:class:`ByFeature`) for a message's dot product with every row, cells by row
(:class:`Rows`) for a few chosen rows in full, and each intent's examples as one padded
dense block (:class:`IntentBlocks`).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

_DENSE_SHARE = 1 / 8  # features in more rows than this share are multiplied densely
_DENSE_CELLS = 1 << 23  # or every feature, when they take no more cells than this (32 MB)
# ... and when at least this share of those cells is not zero; an emptier block is kept as its
# cells and made dense per query. Centroids fill 7% (BANKING77) to 16% (bench/prompt_bench.py)
# of theirs; the example rows of `servicebot init`'s bot 0.6% (15.6 MB dense, 0.2 MB packed).
_PACKED_SHARE = 1 / 32
_BLOCK_CELLS = 1 << 26  # the most float32 cells the per-intent example blocks may take (256 MB)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def distinct(values: Ints) -> Ints:
    """``np.unique(values)``: the distinct values, sorted. Asked with the inverse, which is
    dropped: without it, numpy 2.3 and later import ``numpy.ma`` on first use to ask whether
    ``values`` is masked, 6 ms of `servicebot check`'s start."""
    return np.unique(values, return_inverse=True)[0]


class ByFeature:
    """Sparse matrix cells sorted by feature, for a message's dot product with every row.

    A feature that many rows share (a common character n-gram in most centroids) would
    make the sparse walk touch most of the matrix; such features are kept as a dense
    block instead, which numpy multiplies in one call. Dense features have more than
    ``1 / _DENSE_SHARE`` of the rows, so the block holds at most that many times their cells.
    When all features fit in ``_DENSE_CELLS`` (1,000 intents with up to 8,388 features, as in
    bench/prompt_bench.py), every one of them is dense. Unless most of those cells would be
    zero (under ``_PACKED_SHARE``): then only the cells are kept, by feature, and a message's
    rows of the block are rebuilt from them per query, the same numbers multiplied the same
    way (a bot of 689 examples took 15.6 MB for them, and 40 such bots in one process 620 MB).
    """

    def __init__(self, rows: Ints, features: Ints, weights: Floats, row_count: int) -> None:
        self._row_count = row_count
        self._size = size = int(features.max(initial=-1)) + 1
        self._all_dense = size * row_count <= _DENSE_CELLS
        self._packed = self._all_dense and len(features) < _PACKED_SHARE * size * row_count
        if self._packed:
            self._pack(rows, features, weights, size)
            return
        # float32: a message's dense rows are copied out per query, and half the bytes copy
        # in half the time; a score moves by about 1e-7, far below the 4 decimals reported.
        if self._all_dense:  # a feature's row is its number: no slots, and nothing sparse,
            self._block = np.zeros((size, row_count), dtype=np.float32)  # kept (two arrays
            self._block[features, rows] = weights  # of the vocabulary's length: 0.15 MB for
            return  # `servicebot init`'s bot, 30 MB for 200 such bots in one process)
        dense = np.bincount(features, minlength=size) > _DENSE_SHARE * row_count
        self._slot = np.full(size + 1, -1)  # a feature's row in the dense block; the last is -1
        self._slot[np.flatnonzero(dense)] = np.arange(int(dense.sum()))
        in_block = dense[features]
        self._block = np.zeros((int(dense.sum()), row_count), dtype=np.float32)
        self._block[self._slot[features[in_block]], rows[in_block]] = weights[in_block]
        rows, features, weights = rows[~in_block], features[~in_block], weights[~in_block]
        order = np.argsort(features, kind="stable")
        self._rows, self._weights = rows[order], weights[order]
        self._starts = np.searchsorted(features[order], np.arange(size + 1))

    def _pack(self, rows: Ints, features: Ints, weights: Floats, size: int) -> None:
        """Keep the cells alone, by feature, as the block's float32 numbers (see above)."""
        order = np.argsort(features, kind="stable")
        self._rows = rows[order].astype(np.int32)
        self._weights = weights[order].astype(np.float32)
        self._starts = np.searchsorted(features[order], np.arange(size + 1))
        self._block = np.zeros((0, self._row_count), dtype=np.float32)

    def dot(self, ids: Ints, weights: Floats) -> Floats:
        """Each row's dot product with the sparse vector ``ids`` -> ``weights``."""
        known = ids < self._size
        ids, weights = ids[known], weights[known]
        if self._all_dense:  # every feature is in the block, in feature order
            block = self._unpacked(ids) if self._packed else self._block[ids]
            every: Floats = (weights.astype(np.float32) @ block).astype(np.float64)
            return every
        slots = self._slot[ids]
        in_block = slots >= 0
        dense = weights[in_block].astype(np.float32) @ self._block[slots[in_block]]
        cells, lengths = _ranges(self._starts[ids], self._starts[ids + 1])
        products = self._weights[cells] * np.repeat(weights, lengths)
        total: Floats = group_sums(self._rows[cells], products, self._row_count) + dense
        return total

    def _unpacked(self, ids: Ints) -> npt.NDArray[np.float32]:
        """The dense block's rows for ``ids``, rebuilt from the packed cells: equal to them,
        so the product, and every score, is the same to the last bit."""
        cells, lengths = _ranges(self._starts[ids], self._starts[ids + 1])
        block = np.zeros((len(ids), self._row_count), dtype=np.float32)
        block[np.repeat(np.arange(len(ids)), lengths), self._rows[cells]] = self._weights[cells]
        return block


class Rows:
    """Sparse matrix cells sorted by row, for scoring a few chosen rows in full."""

    def __init__(self, rows: Ints, features: Ints, weights: Floats, row_count: int) -> None:
        self._features, self._weights = features, weights  # cells arrive sorted by row
        self._starts = np.searchsorted(rows, np.arange(row_count + 1))

    def dot(self, chosen: Ints, query: Floats) -> Floats:
        """The dot product of each chosen row with the dense vector ``query``."""
        cells, lengths = _ranges(self._starts[chosen], self._starts[chosen + 1])
        products = self._weights[cells] * query[self._features[cells]]
        # Each row's cells are contiguous, so they are summed in place.
        return run_sums(products, np.cumsum(lengths) - lengths, lengths == 0)


class IntentBlocks:
    """Each intent's examples as a dense matrix over the features they use, padded to one
    shape, so that the examples of a few chosen intents are scored by one gather and one
    batched product (sparse cells need a gather per cell, several times the time).

    Built only for intents of a handful of examples each, and only if padding to the largest
    intent at most doubles the cells and the whole stays under ``_BLOCK_CELLS``: 1,000 intents
    of 8 phrasings take 11 MB (bench/prompt_bench.py) to 45 MB (BANKING77's), about what
    their sparse cells took.
    """

    def __init__(
        self, features: npt.NDArray[np.int32], blocks: npt.NDArray[np.float32], vocabulary: int
    ) -> None:
        self._features = features  # (intent, slot) -> feature, or the vocabulary size if unused
        self._blocks = blocks  # (intent, example, slot) -> weight
        self._query_size = vocabulary + 1

    @classmethod
    def build(
        cls,
        intents: Ints,
        examples: Ints,
        features: Ints,
        weights: Floats,
        heights: Ints,
        vocabulary: int,
    ) -> IntentBlocks | None:
        """From example cells (each with its intent and its example's place in the intent),
        and each intent's example count; None if the blocks would be too large (see above)."""
        keys, slots = np.unique(intents * vocabulary + features, return_inverse=True)
        key_intents = keys // vocabulary
        first_key = np.searchsorted(key_intents, np.arange(len(heights) + 1))
        widths = np.diff(first_key)
        shape = (len(heights), int(heights.max()), int(widths.max()))
        if math.prod(shape) > min(2 * int(widths @ heights), _BLOCK_CELLS):
            return None
        padded_features = np.full(shape[::2], vocabulary, dtype=np.int32)
        padded_features[key_intents, np.arange(len(keys)) - first_key[key_intents]] = (
            keys % vocabulary
        )
        blocks = np.zeros(shape, np.float32)
        blocks[intents, examples, slots - first_key[intents]] = weights
        return cls(padded_features, blocks, vocabulary)

    def nearest(self, chosen: Ints, ids: Ints, weights: Floats) -> Floats:
        """For each chosen intent, its highest similarity to the sparse vector ids -> weights."""
        query = np.zeros(self._query_size, np.float32)
        query[ids] = weights
        products = np.matmul(self._blocks[chosen], query[self._features[chosen]][:, :, None])
        best: Floats = products.max(axis=(1, 2)).astype(np.float64)
        return best


def group_sums(groups: Ints, values: Floats, size: int) -> Floats:
    """The sum of ``values`` in each group 0 to size-1 (np.bincount, typed as floats)."""
    return np.bincount(groups, values, minlength=size).astype(np.float64, copy=False)


def run_sums(values: Floats, firsts: Ints, empty: npt.NDArray[np.bool_]) -> Floats:
    """The sums of the runs of ``values`` (along the first axis) that start at each of
    ``firsts``, and 0 for those ``empty`` marks. The zero appended keeps every run's first
    index valid; reduceat gives an empty run one value, so those are reset."""
    padded = np.concatenate([values, np.zeros((1, *values.shape[1:]))])
    sums: Floats = np.add.reduceat(padded, firsts)
    sums[empty] = 0.0
    return sums


def _ranges(starts: Ints, ends: Ints) -> tuple[Ints, Ints]:
    """All positions in the ranges ``starts[i]:ends[i]``, in order, and each range's length."""
    lengths = ends - starts
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(int(lengths.sum())), lengths
