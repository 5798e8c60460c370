"""The base every file servicebot reads is validated into (:class:`Frozen`): the bot folder's
settings and intents (``settings.py``), a cassette (``cassetteformat.py``), a conversation
file (``conversations/``). Unknown keys are refused and the model is frozen once validated;
YAML's true/false is no number, nor is ``.inf`` or ``.nan``, nor a whole number written with
a point.
"""

from __future__ import annotations

import typing
from types import UnionType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError


class Frozen(BaseModel):
    """What every file servicebot reads is validated into: unknown keys refused, frozen after,
    no true/false taken for a number, and no number that is not finite. YAML reads ``.inf``
    and ``.nan`` as numbers: ``model.timeout: .inf`` passed ``servicebot check``, and then
    every model call failed (no clock reaches an infinite deadline)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_number_converted(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML reads yes, no, on and off as true and false, which pydantic takes as 1 and 0
        for a number: ``min_score: yes`` was 1.0, and every message went out of scope. And a
        whole number written with a point is taken as its whole part: ``max_chars: 50.000``
        (fifty thousand, written as in much of Europe) cut every message to 50 characters."""
        field = cls.model_fields.get(info.field_name or "")
        if not isinstance(value, bool | float) or field is None:  # the rest, at no cost
            return value
        kinds = _number_kinds(field.annotation)
        if isinstance(value, bool) and kinds:
            raise ValueError(
                "should be a number, not true/false (YAML reads yes, no, on and off as true/false)"
            )
        if isinstance(value, float) and kinds == {int} and value.is_integer():
            # pydantic's own kind for 3.5, worded (with what to write) where every error is
            raise PydanticCustomError("int_from_float", "a whole number written with a point")
        return value


def _number_kinds(annotation: Any) -> set[type]:
    """The number types a field holds: {int}, {float}, both or none (None aside)."""
    if typing.get_origin(annotation) in (typing.Union, UnionType, Annotated):
        return set().union(*(_number_kinds(arg) for arg in typing.get_args(annotation)))
    return {annotation} if annotation in (int, float) else set()
