"""Two encoders fused: both vectors stored, an index built with one encoder upgraded without
re-reading files, and an encoder turned off (fake encoders of two widths)."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ngen_connect import Engine, FakeEmbedder, load_settings
from ngen_connect.embedding import Vectors
from ngen_connect.index.version import Manifest
from ngen_connect.search.ranking import _Fusion, _Semantic, background, bilingual_gap

ORGS = """id,name,description
a,Alpha Welding,Robotic welding of steel frames for trucks.
b,Beta Plastics,Injection moulding of plastic housings.
c,Gamma Foods,Frozen bakery products and bagels.
d,Delta Usinage,Usinage CNC de pièces en titane pour l'aéronautique.
"""


class Counting(FakeEmbedder):
    """Counts the passages it embeds."""

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self.documents = 0

    def encode_documents(self, texts: Sequence[str]) -> Vectors:
        self.documents += len(texts)
        return super().encode_documents(texts)


def _engine(folder: Path, *embedders: FakeEmbedder) -> Engine:
    return Engine(load_settings(data_dir=folder, model="fake"), embedder=list(embedders))


def test_both_encoders_are_stored_and_an_index_of_one_is_upgraded(tmp_path: Path) -> None:
    source = tmp_path / "o.csv"
    source.write_text(ORGS, encoding="utf-8")
    single = _engine(tmp_path / "d", FakeEmbedder(64))
    single.index_files([source])
    before = single.search("welding frames").results[0].id
    single.close()

    second = Counting(48)
    fused = _engine(tmp_path / "d", FakeEmbedder(64), second)
    source.unlink()  # the upgrade reads the stored passages, not the file
    assert fused.search("welding frames").results[0].id == before == "a"
    manifest = fused.manifest()
    assert [e["model"] for e in manifest.encoders] == ["fake:48"]
    folder = fused.data.current
    assert folder is not None
    assert all((folder / file).is_file() for file in manifest.encoders[0]["segments"])
    assert second.documents == manifest.passages
    fused.close()

    # turned off again: the next write drops the second encoder's vectors
    alone = _engine(tmp_path / "d", FakeEmbedder(64))
    more = tmp_path / "more.csv"
    more.write_text("id,name,description\ne,Epsilon,Laser cutting of sheet metal.\n")
    alone.index_files([more])
    assert alone.manifest().encoders == []
    live = alone.data.current
    assert live is not None and not list(live.glob("vectors-*"))
    assert alone.search("laser cutting").results[0].id == "e"
    alone.close()


def test_a_write_with_two_encoders_embeds_with_both(tmp_path: Path) -> None:
    source = tmp_path / "o.csv"
    source.write_text(ORGS, encoding="utf-8")
    first, second = Counting(64), Counting(48)
    engine = _engine(tmp_path / "d", first, second)
    report = engine.index_files([source])
    assert first.documents == second.documents == report.passages_embedded > 0
    folder = engine.data.current
    assert folder is not None
    assert Manifest.read(folder).encoders[0]["dim"] == 48
    assert engine.search("usinage titane").results[0].id == "d"
    similar = engine.similar("a", limit=3)
    assert "a" not in {h.id for h in similar.results}
    engine.close()


def test_fusion_keeps_the_first_encoders_scale_and_sums_z_scores() -> None:
    first = np.asarray([0.9, 0.8, 0.7], dtype=np.float32)
    second = np.asarray([0.1, 0.5, 0.3], dtype=np.float32)
    fusion = _Fusion.of([first, second], ())
    fused = fusion.fuse([first, second])
    assert abs(float(fused.mean()) - float(first.mean())) < 1e-6
    assert int(np.argmax(fused)) == 1  # second place in one, first by far in the other
    alone = _Fusion.of([first], ())
    assert np.allclose(alone.fuse([first]), first)


def test_a_query_about_nothing_finds_nothing(sample_index: Path, tmp_path: Path) -> None:
    from ngen_connect.search import Weights
    from tests.conftest import copy_index

    data_dir = copy_index(sample_index, tmp_path / "data")
    settings = load_settings(data_dir=data_dir, model="fake")
    engine = Engine(settings, embedder=FakeEmbedder())
    nothing = engine.search("xqzv plorb wibble")
    assert (nothing.total, nothing.results, nothing.facets) == (0, [], {})
    real = engine.search("injection moulding")
    assert real.total > 0 and all(h.why["legs"].get("keyword") for h in real.results[:3])
    open_ended = Engine(settings, embedder=FakeEmbedder(), weights=Weights(floor=None))
    assert open_ended.search("xqzv plorb wibble").total > 0
    engine.close()
    open_ended.close()


def test_the_background_changes_only_by_the_passages_a_write_adds() -> None:
    """The floor's background is a hashed sample of passage ids: adding 40 passages to 5,000
    replaces at most the few the new ids displace, so no query's evidence is reshuffled."""
    before = background(np.arange(5000, dtype=np.int64))
    after = background(np.arange(5040, dtype=np.int64))
    assert len(before) == len(after) == 1024
    assert (np.diff(before) > 0).all()
    assert len(np.setdiff1d(before, after)) == len(np.setdiff1d(after, np.arange(5000))) <= 40
    small = np.arange(300, dtype=np.int64)
    assert background(small) is small


def test_the_language_gap_is_measured_on_records_written_in_both_languages() -> None:
    """Each bilingual record's English passage scores 0.04 above its French one: that is the
    encoders' preference, whatever the French-only and English-only records score."""
    bilingual = np.arange(25, dtype=np.int64)
    records = np.concatenate([bilingual, bilingual, [100, 101]])
    languages = np.asarray([0] * 25 + [1] * 25 + [0, 1], dtype=np.int64)
    english = np.linspace(0.9, 0.7, 25)
    cosines = np.concatenate([english, english - 0.04, [0.95, 0.5]])
    ids = np.arange(len(records), dtype=np.int64)
    semantic = _Semantic(records, languages, cosines, ids, ids)
    assert bilingual_gap(semantic, 0, 1, 20, 0.1) == pytest.approx(0.04)
    assert bilingual_gap(semantic, 1, 0, 20, 0.1) == 0.0  # French queries: no preference to undo
    assert bilingual_gap(semantic, 0, 1, 20, 0.03) == 0.03
    assert bilingual_gap(semantic, 0, 1, 30, 0.1) is None  # too few bilingual records
