"""What a setting's value must look like where its type cannot say: contact details, the
model server's and the store's addresses, and names that are not API keys.

Owns the validators :mod:`.settings` puts on those fields with ``AfterValidator``: each
returns the value unchanged or raises a ``ValueError`` that the operator reads after the key's
name, at its line (``'email' is not an email address such as support@shop.example.com``).
Owns too what counts as an API key pasted where a name belongs, so that the key is refused
rather than sent as a model's name.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Annotated

from pydantic import AfterValidator

from .storeurl import (
    REDIS_SCHEMES,
    VARIABLE,
    from_environment,
    sqlite_written,
    store_scheme,
    whole_variable,
)

STORE_SCHEMES = ("sqlite", *REDIS_SCHEMES, "memory")


def not_blank(text: str) -> str:
    if not any(char.isprintable() and not char.isspace() for char in text):
        raise ValueError("must not be empty, or only whitespace or invisible characters")
    return text


Text = Annotated[str, AfterValidator(not_blank)]


def email_address(text: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError("is not an email address such as support@shop.example.com")
    return text


def web_address(text: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", text):
        raise ValueError("is not a web address such as https://shop.example.com")
    return text


# An extension after the number: "ext. 2", "x204", "转 2", "分机 8001", "#3".
_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|转|轉|分机|分機|#)\s*\d{1,6}\s*$", re.IGNORECASE)


def phone_number(text: str) -> str:
    number = _EXTENSION.sub("", text)
    if len(re.sub(r"\D", "", number)) < 6 or re.search(r"[^\d\s+()./-]", number):
        raise ValueError(
            "is not a phone number such as +1 800-555-0199 (an extension may follow: ext. 2, 转 2)"
        )
    return text


def http_url(url: str) -> str:
    """An OpenAI-compatible server's address: http(s), with a host, and not its chat
    endpoint (the SDK adds ``/chat/completions``; the server would answer a route 404)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "is not the http(s) address of an OpenAI-compatible server, such as "
            "http://localhost:8000/v1"
        )
    if parts.path.rstrip("/").endswith("/chat/completions"):  # sent to .../chat/completions twice
        raise ValueError(
            "ends in /chat/completions, which the client adds to it: write the address up to "
            "it, such as http://localhost:8000/v1"
        )
    return url


def azure_version(version: str) -> str:
    """An Azure OpenAI ``api-version``: a date, perhaps ``-preview``, as Azure names them."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", version):
        raise ValueError(
            "is not an Azure OpenAI api-version such as 2024-10-21 (or 2025-04-01-preview)"
        )
    return version


def azure_endpoint(version: str | None, base_url: str | None) -> str | None:
    """``model.azure_api_version``, if ``model.base_url`` is what it needs: an Azure OpenAI
    resource's endpoint alone (the SDK adds ``/openai/deployments/{name}``)."""
    if version is None:
        return None
    if base_url is None:
        raise ValueError(
            "needs model.base_url, your Azure OpenAI resource's endpoint, such as "
            "https://RESOURCE.openai.azure.com"
        )
    if "/openai" in urllib.parse.urlsplit(base_url).path:
        raise ValueError(
            "sends requests to /openai/deployments/{model.name}/chat/completions: write "
            "model.base_url as the resource's endpoint alone, such as "
            "https://RESOURCE.openai.azure.com (or, for Azure's v1 endpoint, .../openai/v1/, "
            "remove azure_api_version, which it does not take)"
        )
    return version


def variable_name(name: str) -> str:
    """An environment variable's name, not the key itself (which the message never repeats)."""
    if _looks_like_a_key(name):
        raise ValueError(
            "looks like an API key itself: keep the key in an environment variable and name "
            "that variable here, such as OPENAI_API_KEY"
        )
    if name.lower() in ("none", "null", "nil"):  # YAML's null is unquoted and lower case
        raise ValueError(
            f"is {name!r}, a variable's name: for a server that takes no key, write "
            "api_key_env: null"
        )
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError("is not an environment variable name such as OPENAI_API_KEY")
    return name


def model_name(name: str) -> str:
    """A model's name, not an API key pasted in its place (which would be sent as the name)."""
    if _is_pasted_key(name):
        raise ValueError(
            "looks like an API key, not a model's name such as gpt-4o-mini: remove it, and "
            "set the key in the environment variable api_key_env names (OPENAI_API_KEY unless "
            "set)"
        )
    return name


def _looks_like_a_key(text: str) -> bool:
    """A key (see _is_pasted_key), or 16 or more letters and digits in a row with lower case
    among them, which a variable name, in words between underscores, is not."""
    return _is_pasted_key(text) or _KEY_RUN.search(text) is not None


def _is_pasted_key(text: str) -> bool:
    """'sk-...' or 'Bearer ...'; another provider's prefix with a long random tail ('gsk_',
    'AIza', 'hf_', ...: not 'xai-grok-3' or 'hf_token'); or 32 letters and digits in a row of
    both cases. Keys are random, model and deployment names are words ('gpt-4o-mini',
    'Qwen/Qwen2.5-72B-Instruct', 'prod-gpt4o-2024')."""
    text = text.strip()
    return text.startswith(("sk-", "Bearer ")) or any(
        pattern.search(text) for pattern in (_PROVIDER_KEY, _LONG_KEY_RUN)
    )


# Groq, xAI, Google, Hugging Face, Perplexity, Replicate, NVIDIA: a prefix, then 20 or more
# random characters, upper case among them (a name in lower-case words has none).
_PROVIDER_KEY = re.compile(
    r"^(?:gsk_|xai-|AIza|hf_|pplx-|r8_|nvapi-)(?=[\w-]*[A-Z])[A-Za-z0-9_-]{20,}$"
)
_KEY_RUN = re.compile(r"(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[a-z])[A-Za-z0-9]{16,}")
_LONG_KEY_RUN = re.compile(
    r"(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{32,}"
)


def store_namespace(name: str) -> str:
    """A namespace that is one part of a Redis key (no ``:``) and reads the same everywhere."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise ValueError(
            "is not a namespace such as acme-support: up to 64 Latin letters, digits, '.', "
            "'_' and '-', starting with a letter or digit"
        )
    return name


def known_store(url: str) -> str:
    """A store url servicebot can open, checked as it will be used: with the environment's
    values in for its ``${NAME}`` variables (see storeurl.py). A variable not set here is
    not a mistake (``check`` warns of it): it may be set only where the bot runs."""
    if whole_variable(url) is not None and not store_scheme(url):
        return url  # ${STORE_URL}, not set here: nothing to check yet
    used = from_environment(url, lenient=True)
    try:
        _check_store(used)
    except ValueError as exc:
        if used == url:
            raise
        names = ", ".join(dict.fromkeys(f"${{{name}}}" for name in VARIABLE.findall(url)))
        raise ValueError(f"{exc}, with {names} as set here") from None
    return url


def _check_store(url: str) -> None:
    scheme = url.partition("://")[0]
    if scheme not in STORE_SCHEMES or "://" not in url:
        raise ValueError(f"must start with {', '.join(s + '://' for s in STORE_SCHEMES)}")
    file = sqlite_written(url)
    if scheme == "sqlite" and (not file.strip() or file.endswith(("/", "\\"))):
        raise ValueError(
            "names no file: write sqlite:///conversations.db (relative to the bot folder) "
            "or sqlite:////var/lib/bot/conversations.db"
        )
    if scheme in REDIS_SCHEMES:
        try:
            parts = urllib.parse.urlsplit(url)
            parts.port  # noqa: B018 (a bad port raises here)
        except ValueError:  # its message may quote the password
            raise ValueError(
                "is not a Redis url such as redis://127.0.0.1:6379/0 (its port is not a "
                "number; in a password, write ':', '@' and '/' as %3A, %40 and %2F)"
            ) from None
        if not re.fullmatch(r"/?[0-9]*", parts.path):
            raise ValueError(
                f"is not a Redis url such as redis://127.0.0.1:6379/0 (the database "
                f"{parts.path.lstrip('/')!r} is not a number)"
            )
