"""Generation: generators registered by name turn problems into figures.

``imgcoder`` (a model writes a plan and plotting code, rendered in the sandbox, with a repair
loop), ``pixel`` (text-to-image through LiteLLM), ``reference`` (the bundled sample's gold
scripts) and ``text-card`` (an adversarial baseline: the problem's given values as plain text,
no diagram). Figures made elsewhere come in through ``scigen import-images``.
"""

from collections.abc import Mapping

from core.generation import base as _base

# Importing the generator modules registers them by name (imgcoder, pixel, reference, text-card).
from core.generation import imgcoder, pixel, reference, text_card  # noqa: F401
from core.generation.base import (
    AttemptRecord,
    FigureResult,
    GenerationContext,
    GenerationStep,
    Generator,
    GeneratorKind,
    GeneratorSpec,
    complete_spec,
    create_generator,
    generator_class,
    register_generator,
)
from core.specs import load_plugins

PLUGIN_GROUP = "scigen.generators"
"""Entry-point group of installed packages that add generators."""


def registered_generators() -> Mapping[str, type[Generator]]:
    """Every registered generator by name, sorted: the built-ins, installed plugins (entry points
    in :data:`PLUGIN_GROUP`) and any other module that registered one."""
    load_plugins(PLUGIN_GROUP)
    return dict(sorted(_base.registered_generators().items()))

__all__ = [
    "AttemptRecord",
    "FigureResult",
    "GenerationContext",
    "GenerationStep",
    "Generator",
    "GeneratorKind",
    "GeneratorSpec",
    "complete_spec",
    "create_generator",
    "generator_class",
    "register_generator",
    "registered_generators",
]
