"""The ``openai`` SDK, imported on first use, by one thread at a time."""

from __future__ import annotations

import threading
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

_IMPORTING = threading.Lock()
_SDK: list[ModuleType] = []  # the openai package, once imported
_TLS: list[ssl.SSLContext] = []  # the process's TLS context, once built


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


def shared_tls() -> ssl.SSLContext:
    """The TLS context every SDK client of the process opens its connections with, built
    once as the SDK builds its own (the system's CA certificates, ``SSL_CERT_FILE`` read as
    it is first built). Each client built its own: about 0.85 MB and 50 ms, for each bot and
    each event loop, 340 MB in a process hosting 200 shops. A context is made to be shared
    by many connections, in many threads."""
    if not _TLS:
        with _IMPORTING:
            if not _TLS:
                import httpx2  # the SDK's HTTP client

                _TLS.append(httpx2.create_ssl_context())
    return _TLS[0]
