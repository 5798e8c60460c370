"""The API key :class:`~servicebot.model.OpenAIClient` sends: one passed in code
(:data:`ApiKey`, a str or a function returning one), else the environment variable the model
settings name (never YAML), else :data:`NO_KEY` for a server that takes none. A key passed in
code is kept inside a function, so that no repr, vars() or trace of the client shows it, and
is never quoted in an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..errors import NoKeyError, shorten
from ..settings import ModelSettings

# The key sent to a server that takes none (``api_key_env: null``): the SDK requires one, and
# given none it reads OPENAI_API_KEY, which would send the operator's OpenAI key to it.
NO_KEY = "no-key"
# An API key passed in code (``Bot.load(..., api_key=...)``): the key, or a function that
# returns it, called each time an SDK client is built (see OpenAIClient.api_key).
ApiKey = str | Callable[[], str]


def key_source(api_key: ApiKey | None) -> Callable[[], str] | None:
    """``api_key`` as a function to call for the key; a str is kept inside one, so that no
    repr, vars() or trace of the client shows it."""
    if api_key is None or callable(api_key):
        return api_key
    if not isinstance(api_key, str):
        raise TypeError(
            f"api_key is a str or a function returning one, not {type(api_key).__name__}"
        )

    def given() -> str:
        return api_key

    return given


def api_key_for(
    given: Callable[[], str] | None, settings: ModelSettings, settings_file: Path
) -> str:
    """The key passed in code (``given``, from :func:`key_source`), else the one in the
    environment variable the settings name (never from YAML), or :data:`NO_KEY` for a server
    that takes none."""
    if given is not None:
        return _passed_key(given, settings, settings_file)
    name = settings.api_key_env
    if name is None:
        return NO_KEY
    key = os.environ.get(name, "").strip()
    if not key:
        raise NoKeyError.at(
            settings_file,
            f"model.api_key_env: the environment variable {name} is not set; set it to "
            f"the API key for {settings.base_url or 'the OpenAI API'}, or remove "
            "model.name to answer from the FAQ alone (in code, "
            "Bot.load(..., offline=True) does so without changing the file)",
        )
    return key


def _passed_key(given: Callable[[], str], settings: ModelSettings, settings_file: Path) -> str:
    """The key passed as ``api_key``, asked for again each time (a function's may have
    been rotated). A function that fails (a vault out of reach) or returns no str is a
    missing key, as an empty key is: NoKeyError, never quoting a key."""
    try:
        key = given()
    except Exception as exc:  # the application's function: any failure is a missing key
        failed = f"failed ({type(exc).__name__}: {shorten(str(exc))})"
        raise _no_key(failed, settings, settings_file) from exc
    if not isinstance(key, str):
        raise _no_key(
            f"returned {type(key).__name__}, not the key as a str", settings, settings_file
        )
    if not key.strip():
        raise NoKeyError.at(
            settings_file,
            "the api_key passed to Bot.load() (or OpenAIClient) is empty; pass the "
            f"API key for {settings.base_url or 'the OpenAI API'}, or "
            "Bot.load(..., offline=True) to answer from the FAQ alone",
        )
    return key.strip()


def _no_key(what: str, settings: ModelSettings, settings_file: Path) -> NoKeyError:
    """The error of an ``api_key`` function that gave no key (``what`` it did instead)."""
    return NoKeyError.at(
        settings_file,
        f"model: the api_key function passed in code {what}, so no key was sent to "
        f"{settings.base_url or 'the OpenAI API'} and the model was not asked; fix what it "
        "reads the key from (it is asked again the next time a client is built)",
    )
