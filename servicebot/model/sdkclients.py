"""The SDK clients of an :class:`~servicebot.model.openai_client.OpenAIClient`, which
:class:`SDKClients` builds, keeps and closes.

Its clients are built once per bot and reused: one blocking client, and one async client per
event loop, closed with the loop; all of the process's open connections with one TLS context
(sdk.py), which each built anew (50 ms and 0.85 MB each) for every bot and every loop. A
client is built with the key of its time: ``close()`` drops them all, so that the next call
builds one with the key as it is then (rotated), and so does a 401 to a key from a function
(the call is made once more, with the function's key now: see guarded.py).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ConfigError
from ..settings import ModelSettings
from .apikey import api_key_for
from .breaker import Breaker
from .failures import refusing_waits_over
from .sdk import openai_sdk, shared_tls

if TYPE_CHECKING:  # imported where used: `check` or an offline chat needs neither the SDK
    import asyncio  # (0.3 s to import) nor asyncio (13 ms; see pipeline.py)

    import openai

log = logging.getLogger("servicebot")


class _LoopClient(NamedTuple):
    client: openai.AsyncOpenAI
    closer: AsyncGenerator[None, None]


class SDKClients:
    """The SDK clients of an OpenAI client (a mixin): built on first use with its
    ``settings`` and key, one blocking and one per event loop, dropped and closed."""

    settings: ModelSettings
    breaker: Breaker
    _settings_file: Path
    _given_key: Callable[[], str] | None  # see apikey.key_source
    _key_function: bool  # the key comes from a function, asked again as a client is built

    def _forget_connections(self) -> None:
        """Start with no SDK client: at creation, and in a forked child (see forking.py)."""
        self._sync: openai.OpenAI | None = None
        self._building = threading.Lock()
        # An async client's connections belong to the event loop that opened them; each is
        # kept with the generator that closes it when asyncio.run finishes its loop.
        self._async: dict[asyncio.AbstractEventLoop, _LoopClient] = {}
        self._making: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        # Clients dropped while their loop runs on (see _drop_clients): closed with their
        # loop, or by aclose() in it; kept here till then, for nothing to close them sooner.
        self._dropped: dict[asyncio.AbstractEventLoop, list[_LoopClient]] = {}

    def api_key(self) -> str:
        """The key passed in code, else the one in the environment variable the settings name
        (never from YAML), or :data:`NO_KEY` for a server that takes none (see apikey.py)."""
        return api_key_for(self._given_key, self.settings, self._settings_file)

    def _options(self) -> dict[str, Any]:
        options = {
            "api_key": self.api_key(),
            "timeout": self.settings.timeout,
            "max_retries": self.settings.max_retries,
        }
        if (version := self.settings.azure_api_version) is None:
            return {**options, "base_url": self.settings.base_url}
        # Azure OpenAI's classic route: its SDK client puts the deployment in the path, the
        # version in the query (which no base_url can carry), the key in an api-key header.
        return {
            **options,
            "azure_endpoint": self.settings.base_url,
            "azure_deployment": self.settings.name,
            "api_version": version,
        }

    def _sdk_classes(self) -> tuple[Any, Any]:
        """The SDK's blocking and async client classes: Azure's for its classic route."""
        sdk = openai_sdk()
        if self.settings.azure_api_version is not None:
            return sdk.AzureOpenAI, sdk.AsyncAzureOpenAI
        return sdk.OpenAI, sdk.AsyncOpenAI

    @property
    def client(self) -> openai.OpenAI:
        with self._building:  # threads calling at once share one client and its pool
            if self._sync is None:
                sdk = openai_sdk()
                options = self._options()  # first: a missing key raises before any pool
                hooks = self._hooks()
                http = sdk.DefaultHttpxClient(event_hooks=hooks, verify=shared_tls())
                self._sync = self._sdk_classes()[0](**options, http_client=http)
                # The SDK closes a pool it made when its client is collected (a bot never
                # closed), but not one passed in: so this one is closed the same way.
                weakref.finalize(self._sync, http.close).atexit = False
        return self._sync

    async def async_client(self) -> openai.AsyncOpenAI:
        """The running event loop's client: made on first use, closed with the loop."""
        import asyncio  # here, not at the top: see pipeline.py

        loop = asyncio.get_running_loop()
        if loop not in self._async:
            # A loop closed without finalising its generators. list() copies the keys in
            # one step: threads running loops of their own add and remove theirs meanwhile.
            for closed in [old for old in [*self._async, *self._dropped] if old.is_closed()]:
                self._async.pop(closed, None)
                self._dropped.pop(closed, None)
            # One turn makes it; the loop's other turns, a burst of them at a worker's start,
            # wait for that one (each making its own took 300 clients for 300 turns). Shielded:
            # a turn cancelled meanwhile leaves the making to finish for the others.
            if (making := self._making.get(loop)) is None:
                making = self._making[loop] = loop.create_task(self._make_async_client(loop))
            await asyncio.shield(making)
        return self._async[loop].client

    async def _make_async_client(self, loop: asyncio.AbstractEventLoop) -> None:
        import asyncio  # here, not at the top: see pipeline.py

        try:
            # The first import of the SDK takes about 0.4 s, and the process's TLS context
            # 50 ms more: made in a worker thread, while the loop's other turns go on.
            client = await asyncio.to_thread(self._new_async_client)
            closer = self._closed_with(loop, client)
            await anext(closer)  # suspended until the loop finalises it
            self._async[loop] = _LoopClient(client, closer)
        finally:
            self._making.pop(loop, None)

    def _new_async_client(self) -> openai.AsyncOpenAI:
        sdk = openai_sdk()
        options = self._options()
        hooks = {
            stage: [_awaitable(hook) for hook in each] for stage, each in self._hooks().items()
        }
        http = sdk.DefaultAsyncHttpxClient(event_hooks=hooks, verify=shared_tls())
        client: openai.AsyncOpenAI = self._sdk_classes()[1](**options, http_client=http)
        return client

    def _hooks(self) -> dict[str, list[Callable[[Any], None]]]:
        """The httpx event hooks of every attempt: its deadline, a retry counted by the
        breaker (and none sent while it is open), and waits refused. The deadline's first: a
        retry past it ends the call as a timeout, which the breaker counts as the call ends,
        so counted by ``retrying`` too, its one failed attempt opened a breaker of 2."""
        from ..deadline import deadline, started  # imports httpx2, as the SDK does

        refuse = refusing_waits_over(self.settings.max_retry_after)
        return {
            "request": [started, self.breaker.retrying],
            "response": [refuse, deadline(self.settings.timeout)],
        }

    async def _closed_with(
        self, loop: asyncio.AbstractEventLoop, client: openai.AsyncOpenAI
    ) -> AsyncGenerator[None, None]:
        """Closes ``client`` when its loop ends. ``asyncio.run`` finalises every suspended
        async generator while the loop still runs, just before closing it: so an application
        that runs each request in its own loop (a sync view, a task queue) leaves no client
        or socket behind, and none it could never close (a closed loop's sockets cannot be)."""
        try:
            yield
        finally:
            if (kept := self._async.get(loop)) is not None and kept.client is client:
                self._async.pop(loop, None)  # not a client made since aclose() took this one
            if left := [each for each in self._dropped.pop(loop, []) if each.client is not client]:
                self._dropped[loop] = left
            await client.close()

    def close(self) -> None:
        """Close the connections of the blocking client, and drop every event loop's client
        (one cannot be closed from another thread or loop: each closes with its loop, or by
        :meth:`aclose` in it). The next call builds new ones, with the key as it is then."""
        sync, self._sync = self._sync, None
        if sync is not None:
            sync.close()
        self._drop_clients()

    def _drop_clients(self) -> None:
        """Build every client anew at its next use; none is closed here, a call may be using
        it (the blocking one closes its connections once collected: see :attr:`client`)."""
        self._sync = None
        for loop in list(self._async):  # threads running loops of their own add theirs
            if (kept := self._async.pop(loop, None)) is not None:
                self._dropped.setdefault(loop, []).append(kept)

    def _key_renewed(self, exc: ConfigError) -> bool:
        """A 401 to a key from a function (rotated since the client was built, perhaps): the
        clients are dropped, to be built with the function's key now, for the call to be made
        once more (see guarded.py). Not for a key in a str or a variable, which is as it was."""
        if not (self._key_function and isinstance(exc.__cause__, openai_sdk().AuthenticationError)):
            return False
        log.info("the server refused the api_key function's key (401): asking it again")
        self._drop_clients()
        return True

    async def aclose(self) -> None:
        """Close the connections the running event loop's clients hold (one dropped by
        :meth:`close` too). Taken out first, before any await: a turn that begins meanwhile
        makes a new one, not one closing."""
        import asyncio  # here, not at the top: see pipeline.py

        loop = asyncio.get_running_loop()
        kept = [*self._dropped.pop(loop, []), self._async.pop(loop, None)]
        for each in kept:
            if each is not None:
                await each.closer.aclose()


def _awaitable(hook: Callable[[Any], None]) -> Callable[[Any], Any]:
    """An httpx event hook as an async client calls it: a coroutine function."""

    async def call(message: Any) -> None:
        hook(message)

    return call
