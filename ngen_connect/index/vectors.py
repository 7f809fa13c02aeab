"""Passage vectors in FAISS: exact inner product on normalised vectors stored in half precision,
keyed by passage id.

One encoder's vectors in an index version are *segments* and *deletions*:

    vectors.<token>.faiss   a segment: the vectors one write added (never changed once written)
    vectors.<token>.npy     the passage ids deleted since (sorted), when there are any

A write links the live version's segments into the next version, adds one segment with the
vectors it embedded and lists the ids it replaced or removed, so a 10-row change writes 10 rows of
vectors, not the whole index. Segments are memory-mapped: versions sharing a segment (hard links
to one file) share its pages, in one process and across server workers. When segments pile up or
deletions grow, the write compacts them into one segment (`_MAX_SEGMENTS`, `_MAX_DELETED`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from ngen_connect.atomic import replace_atomic
from ngen_connect.embedding.base import Vectors
from ngen_connect.errors import IndexMismatchError

Ids = npt.NDArray[np.int64]

#: a write that would leave more segments than this compacts them into one
_MAX_SEGMENTS = 8
#: ... and so does one that would leave more than this share of the stored vectors deleted
_MAX_DELETED = 0.2


def locate(ordered: Ids, values: Ids) -> tuple[Ids, npt.NDArray[np.bool_]]:
    """Where each of `values` is in the sorted array `ordered`, and whether it is there at all
    (where it is not, its place is meaningless)."""
    if not len(ordered):
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    found: npt.NDArray[np.bool_] = ordered[at] == values
    return at.astype(np.int64), found


def _one_thread() -> None:
    """FAISS runs a query on the calling thread alone. Its OpenMP threads bring nothing to one
    query over tens of thousands of vectors but their wake-up, which on busy cores costs several
    times the search itself. Searches run in parallel on the server's threads instead. (OpenMP
    counts threads per calling thread, so each thread that searches says so.)"""
    faiss.omp_set_num_threads(1)


def _flat(dim: int) -> faiss.Index:
    """An exact inner-product index keyed by passage id, its vectors stored in half precision:
    half the memory and the reads of single precision, for cosines within 1e-3 of it (segments
    written in single precision by earlier versions are read as they are)."""
    stored = faiss.IndexScalarQuantizer(
        dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    return faiss.IndexIDMap2(stored)


#: ids below this are selected with a bitmap (at most 2 MiB), larger ones with a hash set
_BITMAP_IDS = 1 << 24


class _Members:
    """A FAISS selector of these ids. Passage ids count up from 0, so it is a bitmap over ids: one
    bit test per stored vector, where a batch selector hashes each, which is slower. The selector
    reads the bitmap in place: keep this object as long as it."""

    def __init__(self, ids: Ids) -> None:
        self._bits: npt.NDArray[np.uint8] | None = None
        if len(ids) and int(ids.max()) >= _BITMAP_IDS:
            self.selector: faiss.IDSelector = faiss.IDSelectorBatch(ids)
            return
        flags = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
        flags[ids] = True
        self._bits = np.packbits(flags, bitorder="little")
        self.selector = faiss.IDSelectorBitmap(len(self._bits), faiss.swig_ptr(self._bits))

    def searching(self) -> faiss.SearchParameters:
        params = faiss.SearchParameters()
        params.sel = self.selector
        return params


def _ids_of(index: Any) -> Ids:
    """The passage ids an `IndexIDMap2` holds, in the order it stores them."""
    ids: Ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    return ids


@dataclass(frozen=True)
class _Segment:
    file: str
    index: faiss.Index
    #: the passage ids it holds, sorted
    ids: Ids

    @classmethod
    def open(cls, folder: Path, file: str, dim: int) -> _Segment:
        path = folder / file
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        if index.d != dim:
            raise IndexMismatchError(f"{path} holds {index.d}-dimension vectors, expected {dim}")
        ids = np.sort(_ids_of(index))
        return cls(file, index, ids)

    def holds(self, ids: Ids) -> npt.NDArray[np.bool_]:
        return locate(self.ids, ids)[1]


class VectorIndex:
    """One encoder's vectors: the segments of the version it was opened from, the vectors added
    since (in memory until saved) and the ids deleted from the segments."""

    def __init__(
        self, dim: int, segments: Sequence[_Segment] = (), deleted: Ids | None = None
    ) -> None:
        self.dim = dim
        self._segments = list(segments)
        self._deleted = np.zeros(0, np.int64) if deleted is None else np.unique(deleted)
        self._fresh = _flat(dim)

    @classmethod
    def open(
        cls, folder: Path, dim: int, segments: Sequence[str], deleted: str | None = None
    ) -> VectorIndex:
        """The vectors a version lists: its segment files and, when given, its deletions file."""
        opened = [_Segment.open(folder, file, dim) for file in segments]
        gone = np.load(folder / deleted).astype(np.int64) if deleted else None
        return cls(dim, opened, gone)

    def save(self, folder: Path, stem: str = "vectors") -> tuple[list[str], str | None]:
        """Write what changed into `folder` (which holds the segments, linked from the version this
        one came from): a segment of the added vectors and the deletions, compacting everything
        into one segment when there would be too many of either. Returns (segment files, deletions
        file or None) for the manifest. Files are never rewritten in place: they may be shared."""
        stored = sum(int(s.index.ntotal) for s in self._segments) + int(self._fresh.ntotal)
        segments = len(self._segments) + (1 if self._fresh.ntotal else 0)
        if segments > _MAX_SEGMENTS or len(self._deleted) > _MAX_DELETED * max(stored, 1):
            self._compact()
        if self._fresh.ntotal or not self._segments:
            file = f"{stem}.{secrets.token_hex(6)}.faiss"
            replace_atomic(folder / file, lambda tmp: faiss.write_index(self._fresh, str(tmp)))
            self._segments.append(_Segment.open(folder, file, self.dim))
            self._fresh = _flat(self.dim)
        deleted = None
        if len(self._deleted):
            deleted = f"{stem}.{secrets.token_hex(6)}.npy"
            replace_atomic(folder / deleted, lambda tmp: _save_npy(tmp, self._deleted))
        return [s.file for s in self._segments], deleted

    def _compact(self) -> None:
        """Every live vector into the in-memory part; the segments are left behind."""
        merged = _flat(self.dim)
        for part in [*(s.index for s in self._segments), self._fresh]:
            ids = _ids_of(part) if part.ntotal else None
            if ids is None:
                continue
            live = ids[~np.isin(ids, self._deleted)]
            if len(live):
                merged.add_with_ids(part.reconstruct_batch(live), live)
        self._segments, self._fresh = [], merged
        self._deleted = np.zeros(0, np.int64)

    def __len__(self) -> int:
        stored = sum(int(s.index.ntotal) for s in self._segments)
        return stored + int(self._fresh.ntotal) - len(self._deleted)

    def add(self, ids: Ids, vectors: Vectors) -> None:
        if len(ids):
            self._fresh.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64)
            )

    def remove(self, ids: Ids) -> int:
        """Forget these ids (unknown ones are ignored); returns how many were held."""
        ids = np.unique(ids.astype(np.int64))
        if not len(ids):
            return 0
        removed = int(self._fresh.remove_ids(faiss.IDSelectorBatch(ids)))
        held = np.zeros(len(ids), dtype=bool)
        for segment in self._segments:
            held |= segment.holds(ids)
        newly = ids[held & ~np.isin(ids, self._deleted)]
        self._deleted = np.union1d(self._deleted, newly)
        return removed + len(newly)

    def vectors(self, ids: Ids) -> Vectors:
        """The stored vectors of these passage ids, in order."""
        ids = ids.astype(np.int64)
        if not len(ids):
            return np.zeros((0, self.dim), dtype=np.float32)
        _one_thread()
        parts = self._parts()
        if len(parts) == 1:
            found: Vectors = parts[0].reconstruct_batch(ids)
            return found
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        left = np.ones(len(ids), dtype=bool)
        # The newest parts are small: membership is checked there, the rest is in the oldest.
        newer = [(s.index, s.holds(ids)) for s in self._segments[1:]]
        if self._fresh.ntotal:
            fresh_ids = _ids_of(self._fresh)
            newer.append((self._fresh, np.isin(ids, fresh_ids)))
        for index, mask in newer:
            mask &= left
            if mask.any():
                out[mask] = index.reconstruct_batch(ids[mask])
                left &= ~mask
        if left.any():
            out[left] = self._segments[0].index.reconstruct_batch(ids[left])
        return out

    def cosines(self, query: Vectors, ids: Ids) -> Vectors:
        """The cosine of `query` with each of these passages, in their order: a search restricted
        to them, so FAISS computes them from the stored codes as `search` does (decoding half
        precision vectors into copies first costs several times more)."""
        wanted, back = np.unique(ids.astype(np.int64), return_inverse=True)
        scores = np.zeros(len(wanted), dtype=np.float32)
        if not len(wanted):
            return scores
        members = _Members(wanted)  # outlives the searches
        params = members.searching()
        _one_thread()
        vector = query.reshape(1, -1).astype(np.float32)
        # Passage ids are never reused: each is held by one part.
        for part in self._parts():
            found_scores, found_ids = part.search(
                vector, min(len(wanted), int(part.ntotal)), params=params
            )
            held = found_ids[0] >= 0
            at, hit = locate(wanted, found_ids[0][held])
            scores[at[hit]] = found_scores[0][held][hit]
        result: Vectors = scores[back]
        return result

    def search(
        self, query: Vectors, k: int, allowed: Ids | None = None
    ) -> tuple[npt.NDArray[np.float32], Ids]:
        """Top-k passage ids and scores for one query vector, optionally only among `allowed` ids
        (the version's live passages, which never include deleted ones)."""
        k = min(k, len(self) if allowed is None else min(len(self), len(allowed)))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        # the selectors must outlive the search
        members = _Members(allowed.astype(np.int64)) if allowed is not None else None
        gone = _Members(self._deleted) if members is None and len(self._deleted) else None
        if members is not None:
            params = members.searching()
        elif gone is not None:
            params = faiss.SearchParameters()
            not_gone = faiss.IDSelectorNot(gone.selector)
            params.sel = not_gone
        _one_thread()
        vector = query.reshape(1, -1).astype(np.float32)
        found_scores, found_ids = [], []
        for part in self._parts():
            scores, ids = part.search(vector, min(k, int(part.ntotal)), params=params)
            found_scores.append(scores[0])
            found_ids.append(ids[0])
        all_scores, all_ids = np.concatenate(found_scores), np.concatenate(found_ids)
        keep = all_ids >= 0
        all_scores, all_ids = all_scores[keep], all_ids[keep].astype(np.int64)
        if len(found_ids) > 1:
            order = np.argsort(-all_scores, kind="stable")[:k]
            all_scores, all_ids = all_scores[order], all_ids[order]
        return all_scores, all_ids

    def _parts(self) -> list[faiss.Index]:
        parts = [s.index for s in self._segments if s.index.ntotal]
        if self._fresh.ntotal or not parts:
            parts.append(self._fresh)
        return parts


def _save_npy(path: Path, values: Ids) -> None:
    with path.open("wb") as handle:
        np.save(handle, values)
