"""The keyword leg: BM25 over passages, stored as a sparse matrix beside the vectors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ngen_connect.index.store import Store
from ngen_connect.index.vectors import Ids
from ngen_connect.text import analyse

#: bump when `ngen_connect.text.analyse` changes: saved keyword indexes are then rebuilt on open
ANALYSIS_VERSION = 3
K1 = 1.2
B = 0.75


class KeywordIndex:
    """Passage x term matrix of BM25 weights: a query's score is the sum of its terms' columns."""

    def __init__(
        self, passage_ids: Ids, vocabulary: dict[str, int], weights: sparse.csr_matrix
    ) -> None:
        self.passage_ids = passage_ids
        self.vocabulary = vocabulary
        self._weights = weights.tocsc()
        self._rows = weights.tocsr()
        self._terms = {column: term for term, column in vocabulary.items()}
        self._row_of = {int(pid): row for row, pid in enumerate(passage_ids.tolist())}

    @classmethod
    def build(cls, passages: Iterable[tuple[int, Sequence[str]]]) -> KeywordIndex:
        ids: list[int] = []
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        vocabulary: dict[str, int] = {}
        for row, (pid, terms) in enumerate(passages):
            ids.append(pid)
            tf: dict[int, int] = {}
            for term in terms:
                col = vocabulary.setdefault(term, len(vocabulary))
                tf[col] = tf.get(col, 0) + 1
            rows.extend([row] * len(tf))
            cols.extend(tf)
            counts.extend(tf.values())
        n = len(ids)
        matrix = sparse.csr_matrix(
            (np.asarray(counts, dtype=np.float32), (rows, cols)), shape=(n, max(1, len(vocabulary)))
        )
        if n:
            lengths = np.asarray(matrix.sum(axis=1)).ravel()
            norm = K1 * (1 - B + B * lengths / max(lengths.mean(), 1e-9))
            df = np.bincount(matrix.indices, minlength=matrix.shape[1])
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
            tf_part = (
                matrix.data * (K1 + 1) / (matrix.data + np.repeat(norm, np.diff(matrix.indptr)))
            )
            matrix.data = (tf_part * idf[matrix.indices]).astype(np.float32)
        return cls(np.asarray(ids, dtype=np.int64), vocabulary, matrix)

    def save(self, folder: Path, name: str = "keywords") -> None:
        """As `name`.npz (the weights) and `name`.json (analysis version and vocabulary)."""
        weights = self._weights.tocsr()
        np.savez(
            folder / f"{name}.npz",
            data=weights.data,
            indices=weights.indices,
            indptr=weights.indptr,
            shape=np.asarray(weights.shape),
            passage_ids=self.passage_ids,
        )
        meta = {"analysis": ANALYSIS_VERSION, "vocabulary": self.vocabulary}
        (folder / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, name: str = "keywords") -> KeywordIndex | None:
        """The saved index, or None when it is missing or was built by another text analysis."""
        try:
            meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("analysis") != ANALYSIS_VERSION:
            return None
        with np.load(folder / f"{name}.npz") as arrays:
            weights = sparse.csr_matrix(
                (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"])
            )
            ids = arrays["passage_ids"].astype(np.int64)
        return cls(ids, meta["vocabulary"], weights)

    @classmethod
    def from_store(cls, store: Store) -> KeywordIndex:
        """Analyse every passage; a record's first passage also carries its name, certifications
        and NAICS codes."""
        return cls.build(
            (pid, analyse(text, language) + (analyse(facts, "und") if facts else []))
            for pid, text, language, facts in store.keyword_sources()
        )

    def search(
        self, terms: Iterable[str], k: int, allowed: Ids | None = None
    ) -> tuple[npt.NDArray[np.float32], Ids, list[str]]:
        """Top-k (scores, passage ids) and the query terms the index knows."""
        known = sorted({t for t in terms if t in self.vocabulary})
        if not known or not len(self.passage_ids):
            return np.zeros(0, np.float32), np.zeros(0, np.int64), known
        columns = [self.vocabulary[t] for t in known]
        scores = np.asarray(self._weights[:, columns].sum(axis=1)).ravel()
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            rows = [self._row_of[pid] for pid in allowed.tolist() if pid in self._row_of]
            mask[rows] = True
            scores = np.where(mask, scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        order = hits[np.argsort(-scores[hits], kind="stable")]
        return scores[order].astype(np.float32), self.passage_ids[order], known

    def matched_terms(self, passage_id: int, terms: set[str]) -> set[str]:
        """Which of `terms` occur in one passage."""
        row = self._row_of.get(passage_id)
        if row is None:
            return set()
        columns = self._rows.indices[self._rows.indptr[row] : self._rows.indptr[row + 1]]
        return {self._terms[c] for c in columns.tolist()} & terms
