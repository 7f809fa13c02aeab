"""The keyword leg: BM25 over passages, from term counts stored beside the vectors.

A version stores each passage's term counts; the BM25 weights are worked out from them when the
version is opened (a vectorised pass, a fraction of a second at 170,000 passages). A write changes
only the rows of the passages it touched (`updated`): analysing text is what costs, and a 10-row
change analyses 10 rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import overload

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ngen_connect.atomic import replace_atomic, write_atomic
from ngen_connect.index.store import Store
from ngen_connect.index.vectors import Ids, locate
from ngen_connect.text import analyse

#: bump when `ngen_connect.text.analyse` changes: saved keyword indexes are then rebuilt on open
ANALYSIS_VERSION = 4  # 4: a record's facts and products analysed in their own language
#: how the file stores the index (2: term counts per passage)
FORMAT = 2
K1 = 1.2
B = 0.75

Terms = Iterable[tuple[int, Sequence[str]]]
Scores = npt.NDArray[np.float64]


class KeywordIndex:
    """Passage x term matrix of BM25 weights: a query's score is the sum of its terms' columns."""

    def __init__(
        self,
        passage_ids: Ids,
        vocabulary: dict[str, int],
        counts: sparse.csr_matrix,
        *,
        writable: bool = True,
    ) -> None:
        self.passage_ids = passage_ids
        self.vocabulary = vocabulary
        #: the term counts, kept only by an index that will be updated or saved (a reader of a
        #: published version needs only the weights: half the memory)
        self._counts = counts if writable else None
        weights, self._idf = _bm25(counts)
        self._weights = weights.tocsc()
        self._weights.sort_indices()
        #: what a word no passage holds is worth: the rarest possible word's IDF
        self._unseen_idf = _idf(len(passage_ids), 0)
        #: rows by passage id, to find a passage's row (two arrays: a dict of one int per passage
        #: would cost many times their memory)
        self._rows_by_id = np.argsort(passage_ids, kind="stable")
        self._sorted_ids = passage_ids[self._rows_by_id]

    @classmethod
    def build(cls, passages: Terms) -> KeywordIndex:
        vocabulary: dict[str, int] = {}
        ids, counts = _count(passages, vocabulary)
        return cls(ids, vocabulary, counts)

    def updated(self, removed: Ids, added: Terms) -> KeywordIndex:
        """This index without the `removed` passages and with the `added` ones: the same index
        a full build over the resulting passages gives (rows by passage id, terms no passage uses
        any more dropped)."""
        assert self._counts is not None, "opened read-only"
        keep = ~np.isin(self.passage_ids, removed)
        vocabulary = dict(self.vocabulary)
        new_ids, new_counts = _count(added, vocabulary)
        width = max(1, len(vocabulary))
        kept = self._counts[keep]
        kept.resize((kept.shape[0], width))
        new_counts.resize((new_counts.shape[0], width))
        ids = np.concatenate([self.passage_ids[keep], new_ids])
        counts = sparse.vstack([kept, new_counts], format="csr")
        order = np.argsort(ids, kind="stable")
        if (np.diff(order) != 1).any():
            ids, counts = ids[order], counts[order]
        used = np.bincount(counts.indices, minlength=width) > 0
        if not used.all() and len(vocabulary):
            column = np.cumsum(used) - 1
            counts = counts[:, np.flatnonzero(used)]
            vocabulary = {t: int(column[c]) for t, c in vocabulary.items() if used[c]}
        return KeywordIndex(ids, vocabulary, counts.tocsr())

    def save(self, folder: Path, name: str = "keywords") -> None:
        """As `name`.npz (the term counts) and `name`.json (analysis version and vocabulary), each
        written under a temporary name and renamed into place (the files may be linked from
        another version)."""
        assert self._counts is not None, "opened read-only"
        counts = self._counts.tocsr()

        def arrays(tmp: Path) -> None:
            with tmp.open("wb") as handle:  # a handle: np.savez would add ".npz" to a path
                np.savez(
                    handle,
                    data=counts.data,
                    indices=counts.indices,
                    indptr=counts.indptr,
                    shape=np.asarray(counts.shape),
                    passage_ids=self.passage_ids,
                )

        replace_atomic(folder / f"{name}.npz", arrays)
        meta = {"analysis": ANALYSIS_VERSION, "format": FORMAT, "vocabulary": self.vocabulary}
        write_atomic(folder / f"{name}.json", json.dumps(meta, ensure_ascii=False))

    @classmethod
    def load(
        cls, folder: Path, name: str = "keywords", *, writable: bool = False
    ) -> KeywordIndex | None:
        """The saved index, or None when it is missing or was built by another text analysis;
        `writable` to update or save it again."""
        try:
            meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(meta, dict)
            or meta.get("analysis") != ANALYSIS_VERSION
            or meta.get("format") != FORMAT
        ):
            return None
        with np.load(folder / f"{name}.npz") as arrays:
            counts = sparse.csr_matrix(
                (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"])
            )
            ids = arrays["passage_ids"].astype(np.int64)
        return cls(ids, meta["vocabulary"], counts, writable=writable)

    @classmethod
    def from_store(cls, store: Store) -> KeywordIndex:
        """Analyse every passage; a record's first passage also carries its name, certifications
        and NAICS codes."""
        return cls.build(passage_terms(store))

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
            mask[self._rows_of(allowed)] = True
            scores = np.where(mask, scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        order = hits[np.argsort(-scores[hits], kind="stable")]
        return scores[order].astype(np.float32), self.passage_ids[order], known

    def coverage(
        self, passage_ids: Ids, words: Sequence[Iterable[str]], extra: Iterable[str] = ()
    ) -> Scores:
        """For each passage, how much of the query's information it holds: the IDF of the query's
        `words` it contains (a word's terms: its stem, and the other language's where the two
        agree; a word is worth its rarest term the index holds, a word no passage holds the
        rarest possible) and of the `extra` terms (a word's translations), over the IDF of all
        the words, at most 1. A passage matching only words hundreds of passages share covers
        little of a query that also names something rare; one holding all its words covers it
        all."""
        groups = [sorted(set(word)) for word in words if word]
        if not groups or not len(passage_ids):
            return np.zeros(len(passage_ids))
        worth = [self._word_idf(terms) for terms in groups]
        total = sum(worth)
        held = sorted({t for terms in groups for t in terms} | set(extra))
        held = [t for t in held if t in self.vocabulary]
        if not held:
            return np.zeros(len(passage_ids))
        rows = self._rows_of(passage_ids)
        present = (self._weights[:, [self.vocabulary[t] for t in held]][rows] > 0).toarray()
        column = {t: at for at, t in enumerate(held)}
        found = np.zeros(len(passage_ids))
        for terms, value in zip(groups, worth, strict=True):
            mine = [column[t] for t in terms if t in column]
            if mine:
                found += value * present[:, mine].any(axis=1)
        translations = [column[t] for t in set(extra) if t in column]
        if translations:
            found += present[:, translations] @ np.asarray(
                [self._word_idf((held[at],)) for at in translations]
            )
        covered: Scores = np.minimum(found / total, 1.0)
        return covered

    def holding(
        self, passage_ids: Ids, words: Sequence[Iterable[str]], phrases: Iterable[Sequence[str]]
    ) -> npt.NDArray[np.bool_]:
        """For each passage, whether it holds one of the query's `words` (any of a word's terms)
        or every term of one of `phrases` (the words' translations): what it has in common with
        the query. A glossary phrase is in common only whole: "commande numérique" is CNC,
        "numérique" alone is not; "computer numerical control" is, "control" alone is not."""
        found = np.zeros(len(passage_ids), dtype=bool)
        own_words = [set(w) for w in words]
        whole = [set(p) for p in phrases if p]
        held = sorted({t for terms in own_words + whole for t in terms if t in self.vocabulary})
        if not held or not len(passage_ids):
            return found
        column = {t: at for at, t in enumerate(held)}
        present = (
            self._weights[:, [self.vocabulary[t] for t in held]][self._rows_of(passage_ids)] > 0
        ).toarray()
        for word in own_words:
            mine = [column[t] for t in word if t in column]
            if mine:
                found |= present[:, mine].any(axis=1)
        for phrase in whole:
            if all(t in column for t in phrase):
                found |= present[:, [column[t] for t in phrase]].all(axis=1)
        return found

    def passages_holding(self, phrases: Iterable[Sequence[str]]) -> Ids:
        """Ids of the passages that hold every term of at least one phrase, however rare or
        common the terms: a count of who has a capability, not a ranking, so no top-k."""
        held = np.zeros(len(self.passage_ids), dtype=bool)
        for phrase in phrases:
            columns = [self.vocabulary.get(term) for term in set(phrase)]
            if not columns or None in columns:
                continue  # a term no passage holds: the phrase occurs nowhere
            rows = np.ones(len(self.passage_ids), dtype=bool)
            for column in columns:
                assert column is not None
                present = np.zeros(len(self.passage_ids), dtype=bool)
                start, end = self._weights.indptr[column], self._weights.indptr[column + 1]
                present[self._weights.indices[start:end]] = True
                rows &= present
            held |= rows
        found: Ids = self.passage_ids[held]
        return found

    def _word_idf(self, terms: Sequence[str]) -> float:
        """A query word's worth: the IDF of its rarest term the index holds, or the rarest
        possible when it holds none."""
        known = [self._idf[self.vocabulary[t]] for t in terms if t in self.vocabulary]
        return float(max(known)) if known else self._unseen_idf

    def _rows_of(self, ids: Ids) -> Ids:
        """The rows of the passages with these ids (ids the index does not hold are left out)."""
        at, held = locate(self._sorted_ids, ids)
        rows: Ids = self._rows_by_id[at[held]]
        return rows

    def matched_terms(self, passage_id: int, terms: set[str]) -> set[str]:
        """Which of `terms` occur in one passage."""
        return self.matched_terms_of([passage_id], terms)[passage_id]

    def matched_terms_of(self, passage_ids: Sequence[int], terms: set[str]) -> dict[int, set[str]]:
        """Which of `terms` occur in each of these passages (none in a passage the index does
        not hold): one look at each term's postings for them all."""
        matched: dict[int, set[str]] = {pid: set() for pid in passage_ids}
        ids = np.asarray(list(matched), dtype=np.int64)
        ids = ids[locate(self._sorted_ids, ids)[1]]
        rows = self._rows_of(ids)
        if not len(rows):
            return matched
        for term in terms:
            column = self.vocabulary.get(term)
            if column is None:
                continue
            postings = self._weights.indices[
                self._weights.indptr[column] : self._weights.indptr[column + 1]
            ]
            for pid in ids[locate(postings, rows)[1]].tolist():
                matched[pid].add(term)
        return matched


def passage_terms(store: Store, keys: Sequence[str] | None = None) -> Terms:
    """(passage id, analysed terms) of every passage, or of the records with these keys. The
    facts a record's first passage carries (name, certifications, NAICS codes) are analysed in
    that passage's language, as the passage is: a query stems its words in its own language
    (`analyse_query`), and a name analysed in both would give a French query's stem an English
    name's French stem to match ("génériques" and "Generation" are both "gener" in French)."""
    return (
        (pid, analyse(text, language) + (analyse(facts, language) if facts else []))
        for pid, text, language, facts in store.keyword_sources(keys)
    )


def _count(passages: Terms, vocabulary: dict[str, int]) -> tuple[Ids, sparse.csr_matrix]:
    """Passage ids and their term counts, numbering new terms in `vocabulary`."""
    ids: list[int] = []
    rows: list[int] = []
    cols: list[int] = []
    counts: list[int] = []
    for row, (pid, terms) in enumerate(passages):
        ids.append(pid)
        tf: dict[int, int] = {}
        for term in terms:
            col = vocabulary.setdefault(term, len(vocabulary))
            tf[col] = tf.get(col, 0) + 1
        rows.extend([row] * len(tf))
        cols.extend(tf)
        counts.extend(tf.values())
    matrix = sparse.csr_matrix(
        (np.asarray(counts, dtype=np.float32), (rows, cols)),
        shape=(len(ids), max(1, len(vocabulary))),
    )
    return np.asarray(ids, dtype=np.int64), matrix


def _bm25(counts: sparse.csr_matrix) -> tuple[sparse.csr_matrix, npt.NDArray[np.float32]]:
    """BM25 weights of term counts (one row per passage), and each term's IDF."""
    weights = counts.astype(np.float32, copy=True).tocsr()
    n = weights.shape[0]
    df = np.bincount(weights.indices, minlength=weights.shape[1])
    idf = _idf(n, df).astype(np.float32)
    if not n or not weights.nnz:
        return weights, idf
    lengths = np.asarray(weights.sum(axis=1)).ravel()
    norm = K1 * (1 - B + B * lengths / max(lengths.mean(), 1e-9))
    tf_part = weights.data * (K1 + 1) / (weights.data + np.repeat(norm, np.diff(weights.indptr)))
    weights.data = (tf_part * idf[weights.indices]).astype(np.float32)
    return weights, idf


@overload
def _idf(n: int, df: int) -> float: ...
@overload
def _idf(n: int, df: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]: ...
def _idf(n: int, df: int | npt.NDArray[np.int64]) -> float | npt.NDArray[np.float64]:
    """BM25's inverse document frequency of a term that `df` of `n` passages hold."""
    return np.log(1 + (n - df + 0.5) / (df + 0.5))
