"""The project's own exception types.

Library code raises these with a message that names the bad value, what was
expected and the fix; the CLI prints the message as one line and exits 1.
"""


class RagError(Exception):
    """Base class: anything a user can fix by changing input, files or settings."""


class ConfigError(RagError):
    """A setting has a bad value."""


class CorpusError(RagError):
    """The seeds folder or a seed file cannot be used."""


class ModelError(RagError):
    """A model is missing, corrupt or cannot be loaded."""


class IndexStateError(RagError):
    """The index is missing, stale or damaged."""


class QueryError(RagError):
    """The question (or quote) is empty, too long or otherwise unusable."""


class QuestionsError(RagError):
    """An evaluation question file is not in the shared format."""
