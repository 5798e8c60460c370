"""The ``openai`` SDK, imported on first use, by one thread at a time."""

from __future__ import annotations

import threading
from types import ModuleType

_IMPORTING = threading.Lock()
_SDK: list[ModuleType] = []  # the openai package, once imported


def openai_sdk() -> ModuleType:
    """The ``openai`` package, its chat types loaded, imported by one thread at a time.
    Threads importing it at once (the first turns of a threaded web server) saw it half
    initialised: "cannot import name ... from partially initialized module
    'openai.types.chat'", or no ``openai.Stream`` yet, and their turns fell back. Once it
    is imported, no lock is taken: this runs for every streamed chunk."""
    if not _SDK:
        with _IMPORTING:
            import openai
            import openai.types.chat

            _SDK[:] = [openai]
    return _SDK[0]
