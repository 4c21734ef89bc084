"""What a scoring run is parameterised by: the moment, the half-life, the weights.

Every output names its parameters so it can be reproduced (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "BROADCAST_WEIGHTS",
    "CONVERSATION_KINDS",
    "KIND_WEIGHTS",
    "RELATIONAL_WEIGHTS",
    "TIE_FEATURES",
    "TIE_WEIGHTS",
    "VALUE_PARTS",
    "Params",
]

#: How much one event of each kind gives, when a person acts toward another: a reply is a
#: conversation begun, a like a nod. ``view`` (anonymous or not), ``post``, ``dislike`` and
#: ``moderate`` give nothing to a tie.
KIND_WEIGHTS: dict[str, float] = {
    "reply": 1.0,
    "message": 1.0,
    "quote": 0.8,
    "accept": 0.8,
    "bounty": 0.8,
    "share": 0.6,
    "edit": 0.6,
    "mention": 0.5,
    "like": 0.2,
    "bookmark": 0.2,
    "follow": 0.1,
}

#: Kinds that address a person and can be answered: listening and dialogue are made of them.
CONVERSATION_KINDS: tuple[str, ...] = ("reply", "message", "mention", "quote")

#: What another person gives me, by kind: the four parts of a tie's value to me.
VALUE_PARTS: dict[str, tuple[str, ...]] = {
    "support": ("like", "bookmark", "accept", "bounty", "edit", "follow"),
    "feedback": ("reply",),
    "amplification": ("share", "quote", "mention"),
    "conversation": ("message",),  # plus the dialogue turns of the pair
}

#: The features of a tie, each scaled to [0, 1], in the order of the weights.
TIE_FEATURES: tuple[str, ...] = (
    "intensity",
    "reciprocity",
    "multiplexity",
    "dialogue",
    "recency",
    "rhythm",
    "duration",
    "embeddedness",
    "private",
)

#: Default tie-strength weights (sum 1); ``narrowcast fit`` learns a community's own.
#: Chosen with the evaluation harness (docs/EVALUATION.md): across the five public logs,
#: how much and how recently a pair interacts, against its own pace, predicts that it
#: continues; reciprocity, dialogue and multiplexity add little to that prediction (they
#: carry the relational scores instead).
TIE_WEIGHTS: dict[str, float] = {
    "intensity": 0.35,
    "reciprocity": 0.05,
    "multiplexity": 0.0,
    "dialogue": 0.05,
    "recency": 0.15,
    "rhythm": 0.25,
    "duration": 0.08,
    "embeddedness": 0.05,
    "private": 0.02,
}

#: How the broadcast score combines its components' percentiles.
BROADCAST_WEIGHTS: dict[str, float] = {
    "reach": 0.30,
    "amplification": 0.15,
    "reception": 0.10,
    "silent_audience": 0.05,
    "discussion": 0.10,
    "network_weight": 0.30,
}

#: How the relational score combines its components' percentiles.
RELATIONAL_WEIGHTS: dict[str, float] = {
    "generosity": 0.10,
    "listening": 0.15,
    "reciprocity": 0.10,
    "dialogue": 0.17,
    "appreciated_giving": 0.12,
    "initiative": 0.07,
    "consistency": 0.04,
    "circle": 0.12,
    "relational_weight": 0.13,
}


@dataclass(frozen=True)
class Params:
    """The parameters of one scoring run.

    Parameters
    ----------
    as_of
        The moment T: events after it are ignored. None means the last event's time.
    half_life_days
        An event ``half_life_days`` old weighs half as much as one at T.
    answer_window_days
        A reply counts as answered when answered within this many days.
    tie_weights
        Weights of the tie features in tie strength (default :data:`TIE_WEIGHTS`).
    weights_name
        ``default`` or ``fitted``: where ``tie_weights`` came from.
    strong_tie
        Tie strength from which a mutual tie is strong (counted in the circle).
    """

    as_of: datetime | None = None
    half_life_days: float = 90.0
    answer_window_days: float = 7.0
    tie_weights: dict[str, float] = field(default_factory=lambda: dict(TIE_WEIGHTS))
    weights_name: str = "default"
    strong_tie: float = 0.35

    def __post_init__(self) -> None:
        from narrowcast.errors import ParameterError

        if not self.half_life_days > 0:
            raise ParameterError.expected(
                "half_life_days", "Params", "a number of days > 0", self.half_life_days
            )
        if not self.answer_window_days > 0:
            raise ParameterError.expected(
                "answer_window_days", "Params", "a number of days > 0", self.answer_window_days
            )
        unknown = set(self.tie_weights) - set(TIE_FEATURES)
        if unknown:
            raise ParameterError.expected(
                "tie_weights", "Params", f"weights of {', '.join(TIE_FEATURES)}", sorted(unknown)
            )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        return d
