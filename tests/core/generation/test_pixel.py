"""The pixel generator against the loopback server's image endpoint (b64_json) and LiteLLM's mock."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from core.generation import GeneratorSpec, complete_spec, create_generator
from core.generation.pixel import InvalidImage, PixelGenerator, to_png
from core.generation.prompts import PIXEL_PROMPT_VERSION
from core.models import FailureClass, ModelClient, ModelProfile, ProfileConfig
from core.models.fake_server import FakeOpenAIServer, Fault, solid_png
from tests.core.generation.generation_testkit import (
    ANSWER,
    ELEMENT,
    MULTIMODAL,
    QUESTION,
    QUIZ_TEXT,
    context,
    make_problem,
    run,
)

pytestmark = pytest.mark.usefixtures("model_env")


def pixel(**params: object) -> PixelGenerator:
    params.setdefault("model", "painter")
    generator = create_generator(GeneratorSpec.create("pixel", **params))
    assert isinstance(generator, PixelGenerator)
    return generator


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def painter(
    make_server: Callable[..., FakeOpenAIServer],
    make_client: Callable[..., ModelClient],
    fake_profile: Callable[..., ModelProfile],
) -> Callable[..., tuple[FakeOpenAIServer, ModelClient]]:
    def make(**server_options: object) -> tuple[FakeOpenAIServer, ModelClient]:
        server = make_server(**server_options)
        return server, make_client(fake_profile(server, name="painter", model="openai/fake-image-model"))

    return make


def test_fake_server_image_becomes_a_png_figure(painter) -> None:
    server, client = painter()
    result = run(pixel(size="256x192").generate(make_problem(), context(None, client)))
    assert result.ok and result.first_attempt_ok, result.error_message
    assert result.image is not None and result.image.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(result.image)) as image:
        assert image.format == "PNG" and image.size == (256, 192)
    (attempt,) = result.attempts
    assert attempt.status == "ok" and len(attempt.ledger) == 1 and attempt.ledger[0].kind == "image"
    assert attempt.ledger[0].images_out == 1
    (request,) = server.requests
    assert request.path == "/v1/images/generations" and request.body["size"] == "256x192"
    assert f"prompt {PIXEL_PROMPT_VERSION}" in result.notes


def test_the_prompt_holds_the_question_and_nothing_else_of_the_problem(painter) -> None:
    server, client = painter()
    run(pixel().generate(make_problem(), context(None, client)))
    prompt = server.requests[0].prompt
    assert QUESTION in prompt
    for part in ("every entity", "no answer", "white background", "No decoration"):
        assert part.lower() in prompt.lower()
    for secret in (ANSWER, "secret-answer-4711", ELEMENT, QUIZ_TEXT, MULTIMODAL):
        assert secret not in prompt


def test_jpeg_from_the_provider_is_converted_to_png(painter) -> None:
    jpeg = encoded(Image.new("RGB", (40, 30), (200, 10, 10)), "JPEG")
    server, client = painter(image_script=[jpeg])
    result = run(pixel().generate(make_problem(), context(None, client)))
    assert result.ok and result.image is not None
    with Image.open(io.BytesIO(result.image)) as image:
        assert image.format == "PNG" and image.size == (40, 30)
    assert "converted JPEG to PNG" in result.attempts[0].parse_notes


def test_bytes_that_are_not_an_image_are_rejected_by_the_client(painter) -> None:
    server, client = painter(image_script=[b"this is not an image at all"] * 3)
    result = run(pixel().generate(make_problem(), context(None, client)))
    assert not result.ok and result.image is None
    assert result.error_class == FailureClass.INVALID_RESPONSE.value
    assert result.attempts[0].ledger and not result.attempts[0].ledger[0].ok


def test_a_corrupt_png_fails_as_invalid_image(painter) -> None:
    corrupt = solid_png(16, 16)[:40]  # the signature survives, the data does not
    server, client = painter(image_script=[corrupt])
    result = run(pixel().generate(make_problem(), context(None, client)))
    assert not result.ok and result.error_class == "invalid_image"
    assert "not a readable image" in (result.error_message or "")
    assert len(result.attempts[0].ledger) == 1  # the call was paid for: its ledger is kept


def test_model_failures_are_classified(painter) -> None:
    server, client = painter(image_script=[Fault.AUTH])
    result = run(pixel().generate(make_problem(), context(None, client)))
    assert not result.ok and result.image is None and result.error_class == "auth"
    (attempt,) = result.attempts
    assert attempt.error_class == "auth" and attempt.ledger[0].failure_class is FailureClass.AUTH


def test_mock_image_path(make_client) -> None:
    client = make_client()
    png = solid_png(12, 10)
    generator = pixel(model="openai/dall-e-3")
    result = run(generator.generate(make_problem(), context(None, client, mock_image=png)))
    assert result.ok and result.image == png


def test_long_questions_are_shortened_with_a_note() -> None:
    generator = pixel(max_prompt_chars=900)
    prompt, notes = generator.prompt_for(make_problem(question="A long question. " * 200))
    assert len(prompt) <= 900 and notes and "shortened" in notes[0]


def test_complete_spec_and_bad_specs(make_server, fake_profile) -> None:
    server = make_server()
    profile = fake_profile(server, name="painter", model="openai/fake-image-model")
    spec = complete_spec(
        GeneratorSpec.create("pixel", model="painter"),
        config=ProfileConfig(None, {"painter": profile}, {}, {}),
    )
    assert (
        spec.param("model_id") == "openai/fake-image-model"
        and spec.param("model_fingerprint") == profile.fingerprint()
    )
    assert spec.param("size") == "1024x1024" and spec.param("prompt_version") == PIXEL_PROMPT_VERSION
    with pytest.raises(ValueError, match="required"):
        create_generator(GeneratorSpec.create("pixel"))
    with pytest.raises(ValueError, match="prompt_version"):
        create_generator(GeneratorSpec.create("pixel", model="x/y", prompt_version="nope"))


def test_to_png() -> None:
    png = solid_png(5, 5)
    assert to_png(png) == (png, [])
    webp, notes = to_png(encoded(Image.new("RGBA", (6, 4), (0, 0, 0, 0)), "WEBP"))
    assert webp.startswith(b"\x89PNG") and notes == ["converted WEBP to PNG"]
    frames = [Image.new("RGB", (4, 4), color) for color in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    gif, notes = to_png(out.getvalue())
    assert gif.startswith(b"\x89PNG") and "kept the first of 2 frames" in notes
    for bad in (b"", b"GIF89a-truncated", b"<html>nope</html>"):
        with pytest.raises(InvalidImage):
            to_png(bad)
