"""Answering: questions read against the loaded index (retrieval, composition, confidence, evaluation)."""
