"""``pixel``: a text-to-image model draws the figure from the project's illustrator prompt.

One ``litellm.image_generation`` call per problem through :meth:`ModelClient.image` (cache,
budget, limits and classified retries come from there). The prompt
(:data:`~core.generation.prompts.PIXEL_PROMPTS`) carries the problem's question only. The image
is stored as PNG: other formats (JPEG, WebP, GIF) are converted with Pillow, and bytes Pillow
cannot decode fail the problem with ``invalid_image``.

Spec parameters: ``model`` (required: profile name or raw LiteLLM string, e.g.
``openai/gpt-image-1``), ``size`` ("1024x1024"), ``quality`` (None), ``prompt_version``,
``max_prompt_chars`` (3800: a longer question is shortened, with a note, to stay under
providers' prompt limits), and ``model_id`` / ``model_fingerprint`` filled in by
:meth:`PixelGenerator.complete_spec`.

Test hook: ``ctx.extras["mock_image"]`` (image bytes) goes through LiteLLM's mock path.
"""

from __future__ import annotations

import io
import time
from typing import Any, ClassVar

from core.generation.base import (
    AttemptRecord,
    FigureResult,
    GenerationContext,
    Generator,
    GeneratorKind,
    GeneratorSpec,
    register_generator,
)
from core.generation.prompts import PIXEL_PROMPT_VERSION, PIXEL_PROMPTS
from core.generation.rendering import check_params, failed_figure
from core.models import ModelCallError, ProfileConfig, resolve_model
from core.problems import Problem

__all__ = ["PIXEL_DEFAULTS", "InvalidImage", "PixelGenerator", "to_png"]

PIXEL_DEFAULTS: dict[str, Any] = {
    "size": "1024x1024",
    "quality": None,
    "prompt_version": PIXEL_PROMPT_VERSION,
    "max_prompt_chars": 3800,
    "model_id": None,
    "model_fingerprint": None,
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class InvalidImage(ValueError):
    """Bytes that are not a decodable image."""


def to_png(data: bytes) -> tuple[bytes, list[str]]:
    """``data`` as PNG bytes, with notes on what was converted; raises :class:`InvalidImage`."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise InvalidImage("the model returned no image bytes")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # checks structure and checksums without decoding everything
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            source_format = image.format or "unknown"
            if source_format == "PNG" and data.startswith(PNG_SIGNATURE):
                return data, []
            notes = [f"converted {source_format} to PNG"]
            if getattr(image, "n_frames", 1) > 1:
                notes.append(f"kept the first of {image.n_frames} frames")
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=False)
            return out.getvalue(), notes
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidImage(
            f"the model's output is not a readable image ({type(exc).__name__}: {exc})"
        ) from None


@register_generator
class PixelGenerator(Generator):
    """Text-to-image through LiteLLM with the project's illustrator prompt."""

    name: ClassVar[str] = "pixel"
    kind: ClassVar[GeneratorKind] = "pixel"
    uses_sandbox: ClassVar[bool] = False
    label: ClassVar[str] = "pixel (text-to-image model)"
    needs_model: ClassVar[bool] = True

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        self.settings = check_params(spec, PIXEL_DEFAULTS, required=("model",))
        version = self.settings["prompt_version"]
        if version not in PIXEL_PROMPTS:
            raise ValueError(
                f"generator 'pixel': unknown prompt_version {version!r} (known: {', '.join(PIXEL_PROMPTS)})"
            )
        limit = self.settings["max_prompt_chars"]
        if not isinstance(limit, int) or limit < 200:
            raise ValueError(f"generator 'pixel': max_prompt_chars must be an integer >= 200, got {limit!r}")
        self.prompts = PIXEL_PROMPTS[version]

    @classmethod
    def complete_spec(
        cls, spec: GeneratorSpec, *, config: ProfileConfig | None = None, home: str | None = None
    ) -> GeneratorSpec:
        """``spec`` with defaults written out and the model's LiteLLM string and fingerprint."""
        values = check_params(spec, PIXEL_DEFAULTS, required=("model",))
        profile = resolve_model(values["model"], config=config, home=home)
        values["model_id"] = profile.model
        values["model_fingerprint"] = profile.fingerprint()
        return GeneratorSpec.create(spec.name, **values)

    def prompt_for(self, problem: Problem) -> tuple[str, list[str]]:
        """The illustrator prompt for ``problem`` (question only), shortened to ``max_prompt_chars``."""
        question = problem.question.strip()
        prompt = self.prompts.prompt(question)
        over = len(prompt) - self.settings["max_prompt_chars"]
        if over <= 0:
            return prompt, []
        shortened = question[: max(0, len(question) - over - 1)].rstrip() + "…"
        return self.prompts.prompt(shortened), [
            f"question shortened by {over + 1} characters to fit the prompt limit"
        ]

    async def generate(self, problem: Problem, ctx: GenerationContext) -> FigureResult:
        started = time.monotonic()
        notes = [f"prompt {self.prompts.version}"]
        if ctx.client is None:
            return failed_figure(
                problem, "no_model_client", "pixel needs a model client in the context", started
            )
        try:
            profile = ctx.client.resolve(self.settings["model"])
        except ValueError as exc:  # ProfileError
            return failed_figure(problem, "profile_error", str(exc), started, notes=notes)
        expected = self.settings["model_fingerprint"]
        if expected and expected != profile.fingerprint():
            notes.append(f"profile {profile.name!r} settings changed since the spec was made")
        prompt, prompt_notes = self.prompt_for(problem)
        notes.extend(prompt_notes)
        options: dict[str, Any] = {"size": self.settings["size"], "use_cache": ctx.use_cache}
        if self.settings["quality"] is not None:
            options["quality"] = self.settings["quality"]
        if ctx.extras.get("mock_image") is not None:
            options["mock_response"] = ctx.extras["mock_image"]
        ctx.report("understand", "Illustrator prompt written from the question (no answer)", status="ok", detail=prompt)
        ctx.report("render", f"Asking {profile.name} for the image")
        try:
            result = await ctx.client.image(profile, prompt, **options)
        except ModelCallError as error:
            ctx.report("render", f"The model call failed: {error.failure_class.value}", status="failed")
            attempt = AttemptRecord(
                index=0,
                status="failed",
                error_class=error.failure_class.value,
                error_message=f"model call failed: {error.message}",
                parse_notes=prompt_notes,
                ledger=[error.ledger] if error.ledger else [],
            )
            return failed_figure(
                problem, error.failure_class.value, error.message, started, attempts=[attempt], notes=notes
            )
        revised = result.revised_prompts[0] if result.revised_prompts else None
        try:
            png, conversion = to_png(result.image)
        except InvalidImage as exc:
            ctx.report("render", f"The model's image is not usable: {exc}", status="failed")
            attempt = AttemptRecord(
                index=0,
                status="failed",
                raw_reply=revised,
                error_class="invalid_image",
                error_message=str(exc),
                parse_notes=prompt_notes,
                ledger=[result.ledger],
            )
            return failed_figure(problem, "invalid_image", str(exc), started, attempts=[attempt], notes=notes)
        attempt_notes = [*prompt_notes, *conversion]
        if revised and revised != prompt:
            attempt_notes.append("the provider rewrote the prompt (raw_reply holds its version)")
        attempt = AttemptRecord(
            index=0,
            status="ok",
            raw_reply=revised if revised != prompt else None,
            parse_notes=attempt_notes,
            ledger=[result.ledger],
        )
        ctx.report("render", "Image received", status="ok")
        if len(result.images) > 1:
            notes.append(f"the model returned {len(result.images)} images; kept the first")
        return FigureResult(
            problem_uid=problem.uid,
            status="ok",
            image=png,
            attempts=[attempt],
            latency_s=time.monotonic() - started,
            notes=notes,
        )
