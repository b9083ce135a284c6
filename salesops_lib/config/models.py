"""Parameter models that every layer shares. Models are frozen and reject unknown keys."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

Language = Literal["zh", "en"]


class FrozenModel(BaseModel):
    """Base of every parameter model: immutable, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class StageOrder(FrozenModel):
    """The funnel's stage vocabulary, in order.

    ``open_stages`` are the stages a deal passes through before it closes; ``won`` and ``lost``
    are the terminal stages. Stage history rows must use one of these names.
    """

    #: stages before the close, in the order a deal passes them
    open_stages: tuple[str, ...] = ("lead", "follow-up", "proposal", "negotiation")
    #: terminal stage of a won deal
    won: str = "won"
    #: terminal stage of a lost deal
    lost: str = "lost"

    @model_validator(mode="after")
    def _distinct(self) -> StageOrder:
        names = [*self.open_stages, self.won, self.lost]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be distinct, got {names}")
        if not self.open_stages:
            raise ValueError("at least one open stage is needed")
        return self

    @property
    def all(self) -> tuple[str, ...]:
        """Every accepted stage name: open stages, then won, then lost."""
        return (*self.open_stages, self.won, self.lost)
