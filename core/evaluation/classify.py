"""Classification of text problems as SciGenBench was curated: does the problem need a figure, and
which of the 25 image types (and so which subject) would it be?

:func:`classify_problem` asks a model for one JSON object ``{"visualisable": true|false,
"image_type": "<one of the 25>", "reason": "..."}``. A reply naming no known image type for a
visualisable problem counts as a failed classification (``invalid_reply``), never as a guess.
Returns a record; no store access (the engine keeps it in its item records).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from core.evaluation.replies import call_model, last_json_object
from core.models.ledger import LedgerEntry
from core.models.messages import system_message, text_message
from core.problems import Problem
from core.problems.taxonomy import ALL_IMAGE_TYPES, is_image_type, subject_of

if TYPE_CHECKING:
    from core.models import ModelClient

__all__ = ["CLASSIFY_SYSTEM", "Classification", "classify_problem"]

CLASSIFY_SYSTEM = (
    "You curate a benchmark of scientific figures. For a text problem, decide whether a diagram "
    "would carry information the problem needs (geometry, a circuit, forces, a molecule, a plot, a "
    "setup ...): answer visualisable false for problems that are pure calculation, definition or "
    "recall with nothing to draw. If visualisable, choose exactly one image type from this list:\n"
    + "\n".join(f"- {image_type}" for image_type in ALL_IMAGE_TYPES)
    + '\nAnswer with one JSON object only: {"visualisable": true or false, "image_type": "<a type '
    'from the list, or null>", "reason": "<one sentence>"}'
)


class Classification(BaseModel):
    """What the classifier said about one problem, or why it could not say."""

    problem_uid: str
    model: str
    visualisable: bool | None = Field(default=None, description="None when no usable reply was had.")
    image_type: str | None = Field(default=None, description="One of the 25 types when visualisable.")
    subject: str | None = Field(default=None, description="The subject of image_type.")
    reason: str | None = None
    error_class: str | None = Field(default=None, description="Model failure class, or 'invalid_reply'.")
    ledger: list[LedgerEntry] = Field(default_factory=list)


def _accept(item: dict) -> bool:
    return isinstance(item.get("visualisable"), bool)


async def classify_problem(
    problem: Problem, client: ModelClient, model: str, *, use_cache: bool = True
) -> Classification:
    """Ask ``model`` whether ``problem`` needs a figure and of which image type."""
    reply = await call_model(
        client, model, [system_message(CLASSIFY_SYSTEM), text_message(f"Problem:\n{problem.question}")],
        use_cache=use_cache, temperature=0.0,
    )
    base = {"problem_uid": problem.uid, "model": model, "ledger": reply.ledger}
    if reply.text is None:
        return Classification(**base, error_class=reply.failure_class)
    found = last_json_object(reply.text, _accept)
    if found is None:
        return Classification(**base, error_class="invalid_reply", reason="no JSON object with 'visualisable'")
    reason = found.get("reason") if isinstance(found.get("reason"), str) else None
    if not found["visualisable"]:
        return Classification(**base, visualisable=False, reason=reason)
    image_type = found.get("image_type")
    if not isinstance(image_type, str) or not is_image_type(image_type.strip()):
        return Classification(
            **base, error_class="invalid_reply", reason=f"image type {image_type!r} is not one of the 25"
        )
    image_type = image_type.strip()
    return Classification(
        **base, visualisable=True, image_type=image_type, subject=subject_of(image_type).value, reason=reason
    )
