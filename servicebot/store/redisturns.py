"""How a turn is written as JSON in a Redis conversation's list (``store/redis.py``), and
read back: in a shape the versions before this one read too, as pods of two versions share
one server in a rolling deploy, and after a rollback. What an older version does not know
rides in an event of its own (:func:`to_stored`), taken out again here (:func:`from_stored`).
"""

from __future__ import annotations

from typing import Any

# The version before turns kept their fallback's kind passes every top-level key of a stored
# turn to TurnRecord, and fails on one it lacks (its pods beside newer ones in a rolling
# deploy, or after a rollback, could not read the conversation); but it keeps only the keys it
# knows of each event. So the kind rides in an event of its own, under "fallback": that
# version shows it as ``reply fallback handoff sent``, this one takes it out again.
_FALLBACK_EVENT = {"stage": "reply", "detector": "fallback", "action": "sent"}
# A turn's message id rides the same way, under "message_id": that version shows it as
# ``reply message id kept``, without the id (a key FilterEvent lacks is left out).
_MESSAGE_EVENT = {"stage": "reply", "detector": "message", "kind": "id", "action": "kept"}


def to_stored(body: dict[str, Any]) -> dict[str, Any]:
    """A turn's :meth:`~servicebot.store.TurnRecord.as_data` as Redis keeps it: no number
    (the append script gives it), and no top-level key an older version lacks (see
    ``_FALLBACK_EVENT``)."""
    del body["number"]
    if (kind := body.pop("fallback")) is not None:
        body["events"] = [*body["events"], {**_FALLBACK_EVENT, "kind": kind, "fallback": kind}]
    if (message_id := body.pop("message_id")) is not None:  # rides in an event, as the kind
        body["events"] = [*body["events"], {**_MESSAGE_EVENT, "message_id": message_id}]
    return body


def from_stored(data: dict[str, Any]) -> dict[str, Any]:
    """A stored turn's data with what rides in its events (see :func:`to_stored`) back on top."""
    events = data["events"]
    ids = [event["message_id"] for event in events if "message_id" in event]
    data["events"] = [event for event in events if "message_id" not in event]
    if ids:
        data["message_id"] = ids[0]
    return _read_fallback(data)


def _read_fallback(data: dict[str, Any]) -> dict[str, Any]:
    """A stored turn's data with its fallback's kind back in ``fallback``, out of its events
    (a turn stored by the version just before this one has it at the top level)."""
    events = data["events"]
    kinds = [event["fallback"] for event in events if "fallback" in event]
    data["events"] = [event for event in events if "fallback" not in event]
    if kinds and data.get("fallback") is None:
        data["fallback"] = kinds[0]
    return data
