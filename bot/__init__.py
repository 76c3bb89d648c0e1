"""articlebot: answers questions about an article with cited, verbatim sentences."""

__version__ = "0.1.0"
