import ngen_connect


def test_public_api_is_pinned() -> None:
    assert sorted(ngen_connect.__all__) == [
        "ConfigurationError",
        "Embedder",
        "EmbedderError",
        "Engine",
        "FakeEmbedder",
        "IndexLockedError",
        "IndexMismatchError",
        "IndexNotFoundError",
        "IndexReport",
        "InputFileError",
        "Kind",
        "MissingDependencyError",
        "NgenConnectError",
        "NoProgress",
        "Passage",
        "Profile",
        "Progress",
        "QueryError",
        "RowError",
        "SearchHit",
        "SearchResponse",
        "Settings",
        "__version__",
        "load_embedder",
        "load_settings",
    ]
    for name in ngen_connect.__all__:
        assert hasattr(ngen_connect, name)
