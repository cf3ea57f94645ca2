"""Per-figure reference metrics: PSNR and SSIM against a reference figure, CLIP score against the text.

PSNR / SSIM (scikit-image), with these fixed choices:

* Images are read with PIL; a transparent figure is composited onto white (how a viewer sees it),
  then taken as 8-bit RGB.
* The reference is resized to the generated figure's size with PIL bicubic resampling (PIL widens
  the filter when shrinking, so downsizing is antialiased); the generated figure is never touched.
* Colour: ``gray`` (default; ITU-R 601-2 luma, PIL ``convert("L")``, after resizing) or ``rgb``
  (spec param ``color``). SSIM on RGB is the mean of the per-channel SSIMs.
* ``psnr = skimage.metrics.peak_signal_noise_ratio(reference, generated, data_range=255)``; a
  pixel-identical pair has infinite PSNR and is stored as ``inf`` (detail says so).
* ``ssim = skimage.metrics.structural_similarity(reference, generated, **SSIM_PARAMETERS)``: the
  Wang et al. (2004) settings: Gaussian window sigma 1.5 (11x11 after scikit-image's truncation),
  population covariance, K1 = 0.01, K2 = 0.03, data range 255. Figures under 11 px on a side fail.

The reference of a problem is ``ctx.extras["references"][uid]`` when given, else
``problem.reference_image``, else the workspace's gold figure when ``ctx.extras["workspace"]``
names a workspace that has one.

CLIP score = ``100 * max(cos(image embedding, text embedding), 0)`` between the figure and the
problem text, computed only from weights already on disk and never downloaded. Weights: an OpenAI
CLIP checkpoint (the TorchScript ``.pt`` that the ``clip`` package or torch-fidelity cache, or a
plain state dict with the same keys) from spec param ``model_path``, ``$SCIGEN_CLIP_MODEL``,
``~/.cache/clip`` or torch hub's checkpoints folder; tokenizer: a Hugging Face ``tokenizer.json`` of
the CLIP BPE from spec param ``tokenizer_path``, ``$SCIGEN_CLIP_TOKENIZER`` or the Hugging Face hub
cache. Images take torch-fidelity's CLIP image path (whole figure resized to the model's square
input, no crop: a figure's margins carry labels); text longer than the context is truncated (the
detail says so). Without weights the value is ``unavailable`` with the reason, never a number.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import os
import pickle
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from core.evaluation.aggregates import EvaluationRows, capped_values, figure_aggregates
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    EvaluatorSpec,
    FigureEvaluator,
    FigureUnderTest,
    MetricValue,
    register_evaluator,
)
from core.metrics import Aggregate
from core.problems import Problem
from core.workspace import Workspace

Color = Literal["gray", "rgb"]
RESAMPLING = Image.Resampling.BICUBIC
DATA_RANGE = 255
PSNR_CAP_DB = 100.0
"""PSNR counted for a pixel-identical pair in aggregates (its stored per-figure value is inf)."""
SSIM_PARAMETERS: Mapping[str, Any] = {
    "data_range": DATA_RANGE,
    "gaussian_weights": True,
    "sigma": 1.5,
    "use_sample_covariance": False,
    "K1": 0.01,
    "K2": 0.03,
}
SSIM_MIN_SIDE = 11


class FigureReadError(ValueError):
    """An image file that cannot be read (the message names the file)."""


def load_figure(path: Path) -> Image.Image:
    """8-bit RGB; transparent pixels composited onto white."""
    try:
        with Image.open(path) as opened:
            opened.load()
            has_alpha = opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info
            if not has_alpha:
                return opened.convert("RGB")
            white = Image.new("RGBA", opened.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, opened.convert("RGBA")).convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise FigureReadError(f"{path}: cannot read image ({error})") from error


def comparable_pair(generated: Path, reference: Path, color: Color = "gray") -> tuple[np.ndarray, np.ndarray]:
    """(generated, reference) uint8 arrays of the generated figure's size, in the chosen colour."""
    if color not in ("gray", "rgb"):
        raise ValueError(f"color must be 'gray' or 'rgb', not {color!r}")
    generated_image = load_figure(generated)
    reference_image = load_figure(reference)
    if reference_image.size != generated_image.size:
        reference_image = reference_image.resize(generated_image.size, RESAMPLING)
    if color == "gray":
        generated_image, reference_image = generated_image.convert("L"), reference_image.convert("L")
    return np.asarray(generated_image), np.asarray(reference_image)


def psnr(generated: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB of the generated array against the reference array (same shape, uint8)."""
    # scikit-image takes ~1.4 s to import: paid when a score is computed, not when evaluators register.
    from skimage.metrics import peak_signal_noise_ratio

    with np.errstate(divide="ignore"):  # identical images: MSE 0 gives inf, which is the right answer
        return float(peak_signal_noise_ratio(reference, generated, data_range=DATA_RANGE))


def ssim(generated: np.ndarray, reference: np.ndarray) -> float:
    """SSIM with :data:`SSIM_PARAMETERS`; arrays HxW (gray) or HxWx3 (rgb)."""
    if min(generated.shape[:2]) < SSIM_MIN_SIDE:
        raise ValueError(f"image of {generated.shape[1]}x{generated.shape[0]} px is under the SSIM window")
    from skimage.metrics import structural_similarity

    channel_axis = -1 if generated.ndim == 3 else None
    return float(structural_similarity(reference, generated, channel_axis=channel_axis, **SSIM_PARAMETERS))


def reference_path(problem: Problem, ctx: EvaluationContext) -> Path | None:
    """Where the problem's reference figure is said to be (see the module docstring), or None."""
    given = ctx.extras.get("references")
    if isinstance(given, Mapping) and given.get(problem.uid):
        return Path(given[problem.uid])
    if problem.reference_image:
        return Path(problem.reference_image)
    workspace = ctx.extras.get("workspace")
    if isinstance(workspace, Workspace) and workspace.gold_figure_path(problem.uid).is_file():
        return workspace.gold_figure_path(problem.uid)
    return None


def _failed_figure(figure: FigureUnderTest, metric: str) -> MetricValue | None:
    if figure.status != "ok":
        reason = f" ({figure.error_class})" if figure.error_class else ""
        return MetricValue(
            problem_uid=figure.problem_uid,
            metric=metric,
            status="failed",
            detail=f"figure failed to render{reason}",
        )
    if figure.image_path is None or not figure.image_path.is_file():
        return MetricValue(
            problem_uid=figure.problem_uid,
            metric=metric,
            status="failed",
            detail=f"figure image {figure.image_path} not found",
        )
    return None


class _ReferenceImageMetric(FigureEvaluator):
    metric: ClassVar[str]
    needs_references = True

    def __init__(self, spec: EvaluatorSpec) -> None:
        super().__init__(spec)
        if spec.param("color", "gray") not in ("gray", "rgb"):
            raise ValueError(f"{spec.name}: param color must be 'gray' or 'rgb', not {spec.param('color')!r}")

    def _score(self, generated: np.ndarray, reference: np.ndarray) -> float:
        raise NotImplementedError

    async def evaluate(
        self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext
    ) -> EvaluationOutput:
        return EvaluationOutput(
            metric_values=[await asyncio.to_thread(self.metric_value, problem, figure, ctx)]
        )

    def metric_value(self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext) -> MetricValue:
        failed = _failed_figure(figure, self.metric)
        if failed is not None:
            return failed
        uid = figure.problem_uid
        reference = reference_path(problem, ctx)
        if reference is None:
            return MetricValue(
                problem_uid=uid,
                metric=self.metric,
                status="unavailable",
                detail=f"no reference figure for {uid}",
            )
        if not reference.is_file():
            return MetricValue(
                problem_uid=uid,
                metric=self.metric,
                status="unavailable",
                detail=f"reference figure {reference} of {uid} not found",
            )
        color = self.spec.param("color", "gray")
        assert figure.image_path is not None
        try:
            generated, resized_reference = comparable_pair(figure.image_path, reference, color)
            value = self._score(generated, resized_reference)
        except (FigureReadError, ValueError) as error:
            return MetricValue(problem_uid=uid, metric=self.metric, status="failed", detail=str(error))
        facts: dict[str, Any] = {
            "reference": str(reference),
            "color": color,
            "size": list(generated.shape[1::-1]),
        }
        if math.isinf(value):
            facts["identical"] = True
        return MetricValue(problem_uid=uid, metric=self.metric, value=value, detail=json.dumps(facts))


@register_evaluator
class PsnrEvaluator(_ReferenceImageMetric):
    """PSNR (dB) against the reference figure; spec param ``color``: gray (default) or rgb."""

    name = "psnr"
    label = "PSNR (dB) against the reference figure"
    metric = "psnr"
    produces = ("psnr",)

    @classmethod
    def aggregate(cls, rows: EvaluationRows) -> list[Aggregate]:
        """A pixel-identical pair has infinite PSNR (stored so): it counts as PSNR_CAP_DB."""
        return figure_aggregates(rows.with_values(capped_values(rows.metric_values, cls.metric, PSNR_CAP_DB)))

    def _score(self, generated: np.ndarray, reference: np.ndarray) -> float:
        return psnr(generated, reference)


@register_evaluator
class SsimEvaluator(_ReferenceImageMetric):
    """SSIM against the reference figure with :data:`SSIM_PARAMETERS`; spec param ``color``."""

    name = "ssim"
    label = "SSIM against the reference figure"
    metric = "ssim"
    produces = ("ssim",)

    def _score(self, generated: np.ndarray, reference: np.ndarray) -> float:
        return ssim(generated, reference)


# ---------------------------------------------------------------------------------------------- CLIP

CLIP_MODEL_ENV = "SCIGEN_CLIP_MODEL"
CLIP_TOKENIZER_ENV = "SCIGEN_CLIP_TOKENIZER"
START_TOKEN, END_TOKEN = "<|startoftext|>", "<|endoftext|>"
_CLIP_FILE = re.compile(r"^(clip-|ViT-|RN\d)\S*\.pt$")
"""OpenAI's file names (ViT-B-32.pt, RN50.pt) and torch-fidelity's (clip-vit-b-32-<hash>.pt)."""


class ClipUnavailable(RuntimeError):
    """No local CLIP weights or tokenizer (the message says where it looked)."""


def _clip_model_candidates() -> list[Path]:
    import torch.hub

    folders = [Path("~/.cache/clip").expanduser(), Path(torch.hub.get_dir()) / "checkpoints"]
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found += sorted(p for p in folder.glob("*.pt") if _CLIP_FILE.match(p.name))
    return found


def _hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or "~/.cache/huggingface"
    return Path(home).expanduser() / "hub"


def _clip_tokenizer_candidates() -> list[Path]:
    return sorted(_hub_cache().glob("models--*clip*/snapshots/*/tokenizer.json"))


def locate_clip(
    model_path: str | Path | None = None, tokenizer_path: str | Path | None = None
) -> tuple[Path, Path]:
    """The local CLIP weights and tokenizer to use; raises :class:`ClipUnavailable` saying why not."""
    model = model_path or os.environ.get(CLIP_MODEL_ENV)
    tokenizer = tokenizer_path or os.environ.get(CLIP_TOKENIZER_ENV)
    if model:
        if not Path(model).expanduser().is_file():
            raise ClipUnavailable(f"configured CLIP weights {model} not found")
        model_file = Path(model).expanduser()
    else:
        candidates = _clip_model_candidates()
        if not candidates:
            raise ClipUnavailable(
                f"no local CLIP weights (set spec param model_path or ${CLIP_MODEL_ENV}; looked in ~/.cache/clip "
                f"and torch hub checkpoints); CLIP weights are never downloaded"
            )
        model_file = candidates[0]
    if tokenizer:
        if not Path(tokenizer).expanduser().is_file():
            raise ClipUnavailable(f"configured CLIP tokenizer {tokenizer} not found")
        tokenizer_file = Path(tokenizer).expanduser()
    else:
        candidates = _clip_tokenizer_candidates()
        if not candidates:
            raise ClipUnavailable(
                f"CLIP weights {model_file} found but no tokenizer.json (set spec param tokenizer_path or "
                f"${CLIP_TOKENIZER_ENV}; looked in {_hub_cache()})"
            )
        tokenizer_file = candidates[0]
    return model_file, tokenizer_file


def _clip_state(path: Path) -> dict[str, Any]:
    import torch

    try:
        with warnings.catch_warnings():
            # torch.jit.load is deprecated, but OpenAI's CLIP checkpoints are TorchScript archives
            warnings.simplefilter("ignore", DeprecationWarning)
            return dict(torch.jit.load(str(path), map_location="cpu").state_dict())
    except RuntimeError:
        pass  # not TorchScript: a plain state dict then
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, ValueError, EOFError, pickle.UnpicklingError) as error:
        raise ClipUnavailable(f"{path}: cannot read CLIP weights ({error})") from error
    if not isinstance(state, dict) or "text_projection" not in state:
        raise ClipUnavailable(f"{path} is not a CLIP checkpoint (no text_projection)")
    return state


def _fidelity_clip() -> Any:
    from core.torchvision_guard import ensure_torchvision_importable

    ensure_torchvision_importable()
    import torch_fidelity.feature_extractor_clip as module

    return module


def build_text_encoder(width: int, layers: int, context_length: int, vocab_size: int, embed_dim: int) -> Any:
    """CLIP's text tower (OpenAI layout, parameter names as in the checkpoints), built from torch-fidelity's blocks."""
    import torch
    from torch import nn

    blocks = _fidelity_clip()

    class ClipTextEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            mask = torch.full((context_length, context_length), float("-inf")).triu_(1)
            self.token_embedding = nn.Embedding(vocab_size, width)
            self.positional_embedding = nn.Parameter(torch.randn(context_length, width) * 0.01)
            self.transformer = blocks.Transformer(width, layers, max(1, width // 64), attn_mask=mask)
            self.ln_final = blocks.LayerNorm(width)
            self.text_projection = nn.Parameter(torch.randn(width, embed_dim) * width**-0.5)

        def forward(self, tokens: torch.Tensor, end_positions: torch.Tensor) -> torch.Tensor:
            x = self.token_embedding(tokens) + self.positional_embedding
            x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)  # NLD -> LND -> NLD
            x = self.ln_final(x)
            return x[torch.arange(x.shape[0]), end_positions] @ self.text_projection

    return ClipTextEncoder()


class ClipScorer:
    """A CLIP model read from local files: image and text embeddings and the CLIP score."""

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        import torch
        from tokenizers import Tokenizer

        self.model_path, self.tokenizer_path = model_path, tokenizer_path
        state = _clip_state(model_path)
        blocks = _fidelity_clip()
        self.visual = blocks.build_model(dict(state), torch.float32).visual.eval()
        self.resolution = int(self.visual.input_resolution)
        width = state["ln_final.weight"].shape[0]
        layers = len({key.split(".")[2] for key in state if key.startswith("transformer.resblocks.")})
        context_length, _ = state["positional_embedding"].shape
        self.text = build_text_encoder(
            width,
            layers,
            context_length,
            state["token_embedding.weight"].shape[0],
            state["text_projection"].shape[1],
        )
        text_keys = (
            "token_embedding.",
            "positional_embedding",
            "transformer.",
            "ln_final.",
            "text_projection",
        )
        self.text.load_state_dict({k: v.float() for k, v in state.items() if k.startswith(text_keys)})
        self.text.eval()
        self.context_length = int(context_length)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.start_id = self.tokenizer.token_to_id(START_TOKEN)
        self.end_id = self.tokenizer.token_to_id(END_TOKEN)
        if self.start_id is None or self.end_id is None:
            raise ClipUnavailable(f"{tokenizer_path} lacks the CLIP tokens {START_TOKEN} / {END_TOKEN}")

    def tokens(self, text: str) -> tuple[list[int], bool]:
        """CLIP token ids: start, BPE ids, end; truncated to the context (then True)."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        room = self.context_length - 2
        return [self.start_id, *ids[:room], self.end_id], len(ids) > room

    def encode_text(self, text: str) -> Any:
        import torch

        ids, _ = self.tokens(text)
        padded = torch.zeros((1, self.context_length), dtype=torch.long)
        padded[0, : len(ids)] = torch.tensor(ids)
        with torch.inference_mode():
            return self.text(padded, torch.tensor([len(ids) - 1]))[0]

    def encode_image(self, image: Image.Image) -> Any:
        import torch

        _fidelity_clip()  # makes torchvision importable first
        import torchvision.transforms.functional as functional
        from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

        pixels = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)[None].float()
        with torch.inference_mode():
            x = interpolate_bilinear_2d_like_tensorflow1x(
                pixels, size=(self.resolution, self.resolution), align_corners=False
            )
            x = functional.normalize(
                x,
                (255 * 0.48145466, 255 * 0.4578275, 255 * 0.40821073),
                (255 * 0.26862954, 255 * 0.26130258, 255 * 0.27577711),
            )
            return self.visual(x)[0]

    def score(self, image: Image.Image, text: str) -> float:
        import torch

        similarity = torch.nn.functional.cosine_similarity(
            self.encode_image(image), self.encode_text(text), dim=0
        )
        return 100.0 * max(float(similarity), 0.0)


@functools.lru_cache(maxsize=1)
def _scorer(model_path: Path, tokenizer_path: Path) -> ClipScorer:
    return ClipScorer(model_path, tokenizer_path)


@register_evaluator
class ClipScoreEvaluator(FigureEvaluator):
    """CLIP score of the figure against the problem text, from local weights only (see module docstring).

    Spec params: ``model_path``, ``tokenizer_path`` (else environment variables and local caches).
    """

    name = "clip"
    label = "CLIP image-text score (only where CLIP weights exist locally)"
    produces = ("clip",)

    async def evaluate(
        self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext
    ) -> EvaluationOutput:
        return EvaluationOutput(metric_values=[await asyncio.to_thread(self.metric_value, problem, figure)])

    def metric_value(self, problem: Problem, figure: FigureUnderTest) -> MetricValue:
        failed = _failed_figure(figure, "clip")
        if failed is not None:
            return failed
        uid = figure.problem_uid
        try:
            model, tokenizer = locate_clip(self.spec.param("model_path"), self.spec.param("tokenizer_path"))
            scorer = _scorer(model, tokenizer)
        except ClipUnavailable as error:
            return MetricValue(problem_uid=uid, metric="clip", status="unavailable", detail=str(error))
        except ImportError as error:
            return MetricValue(
                problem_uid=uid, metric="clip", status="unavailable", detail=f"CLIP needs {error.name}"
            )
        assert figure.image_path is not None
        try:
            value = scorer.score(load_figure(figure.image_path), problem.question)
        except FigureReadError as error:
            return MetricValue(problem_uid=uid, metric="clip", status="failed", detail=str(error))
        _, truncated = scorer.tokens(problem.question)
        facts = {"model": str(model), "tokenizer": str(tokenizer), "text_truncated": truncated}
        return MetricValue(problem_uid=uid, metric="clip", value=value, detail=json.dumps(facts))
