"""The HTTP front of NGen Connect (FastAPI)."""
