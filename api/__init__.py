"""The HTTP front of NGen Connect (FastAPI), installed as `ngen_connect.api`."""

if __name__ != "ngen_connect.api":
    # From the repository's root, `import api` would find this folder and load a second copy of
    # the app, with its own module state, beside the installed one.
    raise ImportError(
        f"this folder is the package ngen_connect.api, imported here as {__name__!r}; "
        "install the project (pip install -e .) and import ngen_connect.api"
    )
