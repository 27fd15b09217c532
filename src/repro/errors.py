"""The error every config check raises: its message names the key, the value and the file."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config names an unknown key or holds a value of the wrong type or out of range."""
