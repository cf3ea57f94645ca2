"""PSNR / SSIM against direct scikit-image calls, reference lookup, failures, and CLIP's honesty."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from core.evaluation import create_evaluator, reference_metrics
from core.evaluation.base import (
    EvaluationContext,
    EvaluatorSpec,
    FigureUnderTest,
    MetricValue,
)
from core.evaluation.reference_metrics import (
    ClipScoreEvaluator,
    ClipScorer,
    PsnrEvaluator,
    SsimEvaluator,
    build_text_encoder,
)
from core.problems import Problem, Subject
from core.workspace import Workspace

QUESTION = "A block of mass m rests on an incline of angle 30 degrees attached to a spring"


def draw_figure(path: Path, size: tuple[int, int], shift: int = 0, mode: str = "RGB") -> Path:
    """A small line drawing with a label, like a physics figure; ``shift`` moves it a little."""
    width, height = size
    scale = width / 160
    image = Image.new(mode, size, "white" if mode == "RGB" else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    ink = (0, 0, 0) if mode == "RGB" else (0, 0, 0, 255)
    pen.line(
        [(10 * scale + shift, 100 * scale), (150 * scale, 100 * scale), (150 * scale, 30 * scale)],
        fill=ink,
        width=2,
    )
    pen.line([(10 * scale + shift, 100 * scale), (150 * scale, 30 * scale)], fill=ink, width=2)
    pen.rectangle(
        [70 * scale, 50 * scale + shift, 95 * scale, 72 * scale + shift], outline=(200, 30, 30), width=2
    )
    pen.text((20 * scale, 20 * scale), "m = 2 kg", fill=ink)
    image.save(path)
    return path


def problem(uid_id: str = "1", reference: Path | None = None, question: str = QUESTION) -> Problem:
    return Problem(
        id=uid_id,
        source="seephys",
        question=question,
        subject=Subject.PHYSICS,
        reference_image=str(reference) if reference else None,
    )


def figure(
    path: Path | None, uid: str = "seephys:1", status: str = "ok", error: str | None = None
) -> FigureUnderTest:
    return FigureUnderTest(run_id="run-1", problem_uid=uid, status=status, image_path=path, error_class=error)


def evaluate(
    evaluator, item: Problem, under_test: FigureUnderTest, ctx: EvaluationContext | None = None
) -> MetricValue:
    output = asyncio.run(evaluator.evaluate(item, under_test, ctx or EvaluationContext()))
    assert len(output.metric_values) == 1
    return output.metric_values[0]


def spec(name: str, **params) -> EvaluatorSpec:
    return EvaluatorSpec.create(name, **params)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """A generated figure (160x120) and a reference twice its size with a slightly different drawing."""
    generated = draw_figure(tmp_path / "generated.png", (160, 120), shift=3)
    reference = draw_figure(tmp_path / "reference.png", (320, 240))
    return generated, reference


def direct_arrays(generated: Path, reference: Path, color: str) -> tuple[np.ndarray, np.ndarray]:
    """The documented preparation, written out with plain PIL calls."""
    gen = Image.open(generated).convert("RGB")
    ref = Image.open(reference).convert("RGB").resize(gen.size, Image.Resampling.BICUBIC)
    if color == "gray":
        gen, ref = gen.convert("L"), ref.convert("L")
    return np.asarray(gen), np.asarray(ref)


@pytest.mark.parametrize("color", ["gray", "rgb"])
def test_psnr_and_ssim_equal_direct_scikit_image_calls(pair: tuple[Path, Path], color: str) -> None:
    generated, reference = pair
    gen, ref = direct_arrays(generated, reference, color)
    expected_psnr = peak_signal_noise_ratio(ref, gen, data_range=255)
    expected_ssim = structural_similarity(
        ref,
        gen,
        data_range=255,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        channel_axis=-1 if color == "rgb" else None,
    )
    item = problem(reference=reference)
    psnr_value = evaluate(PsnrEvaluator(spec("psnr", color=color)), item, figure(generated))
    ssim_value = evaluate(SsimEvaluator(spec("ssim", color=color)), item, figure(generated))

    assert psnr_value.status == "ok" and ssim_value.status == "ok"
    assert psnr_value.value == expected_psnr
    assert ssim_value.value == expected_ssim
    assert 0 < ssim_value.value < 1 and 5 < psnr_value.value < 60
    facts = json.loads(psnr_value.detail)
    assert facts == {"reference": str(reference), "color": color, "size": [160, 120]}


def test_identical_figures_give_infinite_psnr_and_ssim_one(tmp_path: Path) -> None:
    path = draw_figure(tmp_path / "same.png", (160, 120))
    item = problem(reference=path)
    psnr_value = evaluate(PsnrEvaluator(spec("psnr")), item, figure(path))
    assert math.isinf(psnr_value.value) and json.loads(psnr_value.detail)["identical"] is True
    assert evaluate(SsimEvaluator(spec("ssim")), item, figure(path)).value == pytest.approx(1.0)


def test_transparent_figure_is_composited_onto_white(tmp_path: Path) -> None:
    transparent = draw_figure(tmp_path / "transparent.png", (160, 120), mode="RGBA")
    flattened = tmp_path / "flat.png"
    white = Image.new("RGBA", (160, 120), (255, 255, 255, 255))
    Image.alpha_composite(white, Image.open(transparent)).convert("RGB").save(flattened)
    # a plain RGB conversion would turn the transparent background black: the two would then differ
    assert np.asarray(Image.open(transparent).convert("RGB")).mean() < 50

    value = evaluate(PsnrEvaluator(spec("psnr")), problem(reference=flattened), figure(transparent))
    assert math.isinf(value.value)


def test_failed_and_missing_inputs_are_reported_never_scored(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    generated, reference = pair
    evaluator = SsimEvaluator(spec("ssim"))

    failed = evaluate(evaluator, problem(reference=reference), figure(None, status="failed", error="timeout"))
    assert (failed.status, failed.value, failed.detail) == (
        "failed",
        None,
        "figure failed to render (timeout)",
    )

    no_reference = evaluate(evaluator, problem(), figure(generated))
    assert (no_reference.status, no_reference.value) == ("unavailable", None)
    assert no_reference.detail == "no reference figure for seephys:1"

    gone = tmp_path / "gone.png"
    missing_reference = evaluate(evaluator, problem(reference=gone), figure(generated))
    assert missing_reference.status == "unavailable" and str(gone) in missing_reference.detail

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    unreadable = evaluate(evaluator, problem(reference=reference), figure(broken))
    assert unreadable.status == "failed" and str(broken) in unreadable.detail and unreadable.value is None

    tiny = draw_figure(tmp_path / "tiny.png", (8, 8))
    too_small = evaluate(evaluator, problem(reference=reference), figure(tiny))
    assert too_small.status == "failed" and "SSIM window" in too_small.detail


def test_reference_lookup_prefers_explicit_mapping_then_problem_then_gold_figure(
    tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    generated, reference = pair
    other = draw_figure(tmp_path / "other.png", (160, 120), shift=9)
    workspace = Workspace(tmp_path / "home").ensure()
    evaluator = PsnrEvaluator(spec("psnr"))

    def reference_used(item: Problem, ctx: EvaluationContext) -> str:
        return json.loads(evaluate(evaluator, item, figure(generated), ctx).detail)["reference"]

    explicit = EvaluationContext(extras={"references": {"seephys:1": other}})
    assert reference_used(problem(reference=reference), explicit) == str(other)
    assert reference_used(problem(reference=reference), EvaluationContext()) == str(reference)

    gold = workspace.gold_figure_path("seephys:1")
    Image.open(other).save(gold)
    assert reference_used(problem(), EvaluationContext(extras={"workspace": workspace})) == str(gold)


def test_evaluators_are_registered_by_name() -> None:
    assert isinstance(create_evaluator(spec("psnr")), PsnrEvaluator)
    assert isinstance(create_evaluator(spec("ssim")), SsimEvaluator)
    assert isinstance(create_evaluator(spec("clip")), ClipScoreEvaluator)
    assert PsnrEvaluator.produces == ("psnr",) and SsimEvaluator.produces == ("ssim",)
    with pytest.raises(ValueError, match="ssim: param color must be 'gray' or 'rgb', not 'cmyk'"):
        create_evaluator(spec("ssim", color="cmyk"))


@pytest.mark.realdata
def test_psnr_ssim_on_a_real_seephys_figure(scigenbench_dir: Path, tmp_path: Path) -> None:
    reference = scigenbench_dir / "seephys_images" / "1008.png"
    if not reference.is_file():
        pytest.skip(f"{reference} not found")
    original = Image.open(reference).convert("RGB")
    # a plausible generated figure: smaller and slightly blurred
    degraded = original.resize((original.width * 3 // 4, original.height * 3 // 4)).filter(ImageFilter.BLUR)
    generated = tmp_path / "generated.png"
    degraded.save(generated)
    gen, ref = direct_arrays(generated, reference, "gray")

    item = problem("1008", reference=reference)
    psnr_value = evaluate(PsnrEvaluator(spec("psnr")), item, figure(generated, uid="seephys:1008"))
    ssim_value = evaluate(SsimEvaluator(spec("ssim")), item, figure(generated, uid="seephys:1008"))
    assert psnr_value.value == peak_signal_noise_ratio(ref, gen, data_range=255)
    assert ssim_value.value == structural_similarity(
        ref, gen, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert 10 < psnr_value.value < 40 and 0.3 < ssim_value.value < 1


# ---------------------------------------------------------------------------------------------- CLIP


@pytest.fixture
def no_local_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every place CLIP weights could be cached at an empty folder."""
    empty = tmp_path / "empty-home"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setenv("TORCH_HOME", str(empty / "torch"))
    monkeypatch.setenv("HF_HOME", str(empty / "hf"))
    for name in ("HF_HUB_CACHE", reference_metrics.CLIP_MODEL_ENV, reference_metrics.CLIP_TOKENIZER_ENV):
        monkeypatch.delenv(name, raising=False)
    return empty


def test_clip_is_unavailable_without_local_weights(no_local_clip: Path, pair: tuple[Path, Path]) -> None:
    generated, _ = pair
    value = evaluate(ClipScoreEvaluator(spec("clip")), problem(), figure(generated))
    assert (value.status, value.value) == ("unavailable", None)
    assert "no local CLIP weights" in value.detail and "never downloaded" in value.detail

    configured = no_local_clip / "ViT-B-32.pt"
    value = evaluate(
        ClipScoreEvaluator(spec("clip", model_path=str(configured))), problem(), figure(generated)
    )
    assert value.status == "unavailable" and f"configured CLIP weights {configured} not found" == value.detail


def test_clip_weights_without_tokenizer_are_unavailable(no_local_clip: Path, pair: tuple[Path, Path]) -> None:
    generated, _ = pair
    cached = no_local_clip / ".cache" / "clip" / "ViT-B-32.pt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"weights would be here")
    value = evaluate(ClipScoreEvaluator(spec("clip")), problem(), figure(generated))
    assert (
        value.status == "unavailable" and f"CLIP weights {cached} found but no tokenizer.json" in value.detail
    )


@pytest.fixture
def tiny_clip(tmp_path: Path) -> tuple[Path, Path]:
    """A small random CLIP in the OpenAI checkpoint layout, and a word-level CLIP-style tokenizer."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers

    from core.torchvision_guard import ensure_torchvision_importable

    ensure_torchvision_importable()
    from torch_fidelity.feature_extractor_clip import CLIPVisual

    torch.manual_seed(0)
    words = sorted(set(QUESTION.split()) | {"circuit", "resistor"})
    vocab = {"[UNK]": 0, **{word: index + 1 for index, word in enumerate(words)}}
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = len(vocab), len(vocab) + 1
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer_path = tmp_path / "tokenizer.json"
    tokenizer.save(str(tokenizer_path))

    visual = CLIPVisual(
        embed_dim=16, image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=16
    )
    text = build_text_encoder(width=64, layers=1, context_length=12, vocab_size=len(vocab), embed_dim=16)
    state = {**visual.state_dict(), **text.state_dict()}
    model_path = tmp_path / "tiny-clip.pt"
    torch.save(state, model_path)
    return model_path, tokenizer_path


def test_clip_score_from_local_weights_is_the_clipped_cosine(
    tiny_clip: tuple[Path, Path], pair: tuple[Path, Path]
) -> None:
    import torch

    model_path, tokenizer_path = tiny_clip
    generated, _ = pair
    evaluator = ClipScoreEvaluator(
        spec("clip", model_path=str(model_path), tokenizer_path=str(tokenizer_path))
    )
    value = evaluate(evaluator, problem(), figure(generated))

    scorer = ClipScorer(model_path, tokenizer_path)
    image_embedding = scorer.encode_image(Image.open(generated))
    text_embedding = scorer.encode_text(QUESTION)
    cosine = float(torch.nn.functional.cosine_similarity(image_embedding, text_embedding, dim=0))
    assert cosine > 0  # seeded weights: the unclipped branch is the one checked
    assert value.status == "ok"
    assert value.value == pytest.approx(100 * max(cosine, 0.0), abs=1e-4)
    assert 0 <= value.value <= 100
    # the context is 12 tokens: the 16-word question is truncated, and the detail says so
    assert json.loads(value.detail)["text_truncated"] is True
    ids, truncated = scorer.tokens("a block")
    assert truncated is False and ids[0] == scorer.start_id and ids[-1] == scorer.end_id and len(ids) == 4


def test_clip_of_a_failed_figure_is_failed(tiny_clip: tuple[Path, Path]) -> None:
    model_path, tokenizer_path = tiny_clip
    evaluator = ClipScoreEvaluator(
        spec("clip", model_path=str(model_path), tokenizer_path=str(tokenizer_path))
    )
    value = evaluate(evaluator, problem(), figure(None, status="failed", error="syntax_error"))
    assert value.status == "failed" and value.value is None
