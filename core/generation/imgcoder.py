"""``imgcoder``: a chat model plans the figure and writes plotting code; the sandbox renders it.

Per problem (understand -> plan -> code, then repair):

1. ONE chat call with the project's system prompt (:mod:`core.generation.prompts`) and the
   problem's question only (never its answer, elements, quizzes or multimodal question).
2. The backend's parser (:func:`~core.generation.parsing.parse_reply` for Matplotlib) finds the
   Plan and the code.
3. The code renders in the sandbox: ``ctx.render_pool`` for Matplotlib, the TeX sandbox for TikZ
   (see ``backend`` below).
4. On failure (render error, no code, truncated reply) the next attempt sends the error class, the
   trimmed traceback in the script's line numbers and the lines around the error, as a follow-up
   to the model's last reply; up to ``max_attempts`` attempts in all (default 3 = 1 + 2 repairs).
   A model failure (:class:`~core.models.ModelCallError`: rate limit after retries, timeout, auth
   ...) ends the problem at once, failed with the model's failure class.
5. Optional visual self-critique (``critique=True``): a vision model sees the render and the
   question and answers ``APPROVE`` or a short list of problems; one revision attempt at most,
   kept only if it renders.

Every attempt is stored (:class:`~core.generation.base.AttemptRecord`) with its raw reply, plan,
code, parse notes, status, error details, render time and the model calls it made. pass@1 is
``FigureResult.first_attempt_ok``.

Spec parameters (``GeneratorSpec.create("imgcoder", model=..., ...)``):

``model`` (required)
    A profile name from ``scigen.toml`` or a raw LiteLLM model string.
``max_attempts`` (3)
    Attempts in all, the first included.
``critique`` (False), ``critic_model`` (None: the same model)
    Visual self-critique and the vision model that does it.
``dpi`` (150), ``timeout_s`` (20), ``memory_mb`` (1024), ``svg`` (False)
    Sandbox settings of each render (``timeout_s`` is the render's wall-clock limit; the model
    call's timeout is the profile's).
``temperature``, ``max_tokens`` (None: the profile's)
    Overrides for the chat calls.
``backend`` ("matplotlib")
    How the code is drawn (:mod:`core.generation.backends`): ``matplotlib`` (a Python script in
    the Python sandbox) or ``tikz`` (a TikZ picture compiled by pdflatex in the TeX sandbox; the
    repair loop sends back TeX's error with the line in the picture). A matplotlib spec is
    stored without this key, as before backends existed, so older runs resume.
``prompt_version`` (None: the backend's, :data:`~core.generation.prompts.PROMPT_VERSION` or
    :data:`~core.generation.prompts.TIKZ_PROMPT_VERSION`)
    Which prompts to use (they must be written for the backend); kept in the spec so a stored
    run says which prompt made it.
``model_id``, ``model_fingerprint``, ``critic_fingerprint``
    Filled in by :meth:`ImgCoder.complete_spec`: the LiteLLM model string and the profile's
    secret-free fingerprint, so a stored run names exactly which model settings made it.

Test hook: ``ctx.extras["mock_response"]`` (a string, an exception, or a callable taking the
messages and returning either) is passed to LiteLLM's ``mock_response``: no request is made.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from core.generation.backends import Backend, get_backend
from core.generation.base import (
    AttemptRecord,
    FigureResult,
    GenerationContext,
    Generator,
    GeneratorKind,
    GeneratorSpec,
    register_generator,
)
from core.generation.parsing import ParsedReply
from core.generation.prompts import IMGCODER_PROMPTS, ImgCoderPrompts
from core.generation.rendering import (
    RENDER_DEFAULTS,
    check_params,
    failed_figure,
    figure_from_render,
    render_attempt,
    report_render,
)
from core.models import (
    ChatResult,
    ModelCallError,
    ModelProfile,
    ProfileConfig,
    image_message,
    resolve_model,
    system_message,
    text_message,
)
from core.models.ledger import LedgerEntry
from core.problems import Problem
from core.sandbox.models import RenderResult

__all__ = ["IMGCODER_DEFAULTS", "ImgCoder", "parse_critique", "repair_message"]

IMGCODER_DEFAULTS: dict[str, Any] = {
    **RENDER_DEFAULTS,
    "max_attempts": 3,
    "critique": False,
    "critic_model": None,
    "temperature": None,
    "max_tokens": None,
    "backend": "matplotlib",
    "prompt_version": None,
    "model_id": None,
    "model_fingerprint": None,
    "critic_fingerprint": None,
}

TRACEBACK_LINES = 12
TRACEBACK_CHARS = 1500
EXCERPT_CONTEXT = 3
CRITIQUE_CHARS = 1500


def _trim_traceback(traceback: str | None) -> str:
    if not traceback:
        return ""
    lines = traceback.strip("\n").splitlines()
    if len(lines) > TRACEBACK_LINES:
        lines = ["...", *lines[-TRACEBACK_LINES:]]
    text = "\n".join(lines)
    if len(text) > TRACEBACK_CHARS:
        text = "..." + text[-TRACEBACK_CHARS:]
    return text


def _excerpt(code: str | None, line: int | None) -> str:
    """The script's lines around ``line`` (1-based), numbered, the error line marked ``>>``."""
    if not code or not line:
        return ""
    lines = code.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    first, last = max(1, line - EXCERPT_CONTEXT), min(len(lines), line + EXCERPT_CONTEXT)
    width = len(str(last))
    return "\n".join(
        f"{'>>' if number == line else '  '} {number:>{width}} | {lines[number - 1]}"
        for number in range(first, last + 1)
    )


def repair_message(
    prompts: ImgCoderPrompts,
    error_class: str,
    error_message: str | None,
    *,
    traceback: str | None = None,
    code: str | None = None,
    error_line: int | None = None,
) -> str:
    """The follow-up asking the model to fix a failed attempt."""
    trimmed = _trim_traceback(traceback)
    excerpt = _excerpt(code, error_line)
    hint = prompts.hint(error_class)
    heading = prompts.excerpt_heading.format(line=error_line)
    return prompts.repair.format(
        error_class=error_class,
        error_message=error_message or error_class,
        traceback=f"{prompts.log_heading}:\n{trimmed}\n" if trimmed else "",
        excerpt=f"\n{heading}:\n{excerpt}\n" if excerpt else "",
        hint=f"\n{hint}\n" if hint else "",
    )


_APPROVE = re.compile(r"^\W*approved?\b\W*$", re.IGNORECASE)


def parse_critique(text: str) -> tuple[bool, str]:
    """(approved, problems) from a critic's reply: approved only for a bare ``APPROVE``.

    Anything else is read as problems (trimmed), so an unclear verdict still gets a revision
    that is kept only if it renders.
    """
    stripped = text.strip().strip("*_`#> ").strip()
    if _APPROVE.match(stripped) or (
        stripped.upper().startswith("APPROVE") and "PROBLEM" not in stripped.upper() and len(stripped) < 40
    ):
        return True, ""
    problems = re.sub(r"^\W*problems?\s*:\s*", "", stripped, flags=re.IGNORECASE).strip()
    if len(problems) > CRITIQUE_CHARS:
        problems = problems[: CRITIQUE_CHARS - 1] + "…"
    return False, problems or stripped


@register_generator
class ImgCoder(Generator):
    """A chat model writes a plan and a plotting script; the sandbox renders it; failures are repaired."""

    name: ClassVar[str] = "imgcoder"
    kind: ClassVar[GeneratorKind] = "code"
    label: ClassVar[str] = "ImgCoder (plan -> code, rendered in the sandbox, repair loop)"
    needs_model: ClassVar[bool] = True
    takes_backend: ClassVar[bool] = True

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        self.settings = check_params(spec, IMGCODER_DEFAULTS, required=("model",))
        attempts = self.settings["max_attempts"]
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
            raise ValueError(f"generator 'imgcoder': max_attempts must be an integer >= 1, got {attempts!r}")
        self.backend = _backend(self.settings)
        self.prompts = _prompts(self.settings, self.backend.name)

    # ---- spec --------------------------------------------------------------------------------

    @classmethod
    def complete_spec(
        cls, spec: GeneratorSpec, *, config: ProfileConfig | None = None, home: str | None = None
    ) -> GeneratorSpec:
        """``spec`` with every default written out and the model resolved to its LiteLLM string
        and secret-free fingerprint (raises ProfileError for an unknown profile)."""
        values = check_params(spec, IMGCODER_DEFAULTS, required=("model",))
        backend = _backend(values)
        values["prompt_version"] = _prompts(values, backend.name).version
        if backend.name == "matplotlib":
            del values["backend"]  # stored as before backends existed, so older runs resume
        profile = resolve_model(values["model"], config=config, home=home)
        values["model_id"] = profile.model
        values["model_fingerprint"] = profile.fingerprint()
        if values["critique"]:
            critic = resolve_model(values["critic_model"] or values["model"], config=config, home=home)
            values["critic_fingerprint"] = critic.fingerprint()
        return GeneratorSpec.create(spec.name, **values)

    # ---- generation --------------------------------------------------------------------------

    @property
    def uses_sandbox(self) -> bool:  # type: ignore[override]  # the backend decides, per spec
        return self.backend.uses_render_pool

    async def generate(self, problem: Problem, ctx: GenerationContext) -> FigureResult:
        started = time.monotonic()
        if ctx.client is None:
            return failed_figure(
                problem, "no_model_client", "imgcoder needs a model client in the context", started
            )
        missing = self.backend.unavailable(ctx)
        if missing is not None:
            return failed_figure(problem, missing[0], missing[1], started)
        notes: list[str] = [f"prompt {self.prompts.version}"]
        try:
            profile = ctx.client.resolve(self.settings["model"])
        except ValueError as exc:  # ProfileError
            return failed_figure(problem, "profile_error", str(exc), started, notes=notes)
        expected = self.settings["model_fingerprint"]
        if expected and expected != profile.fingerprint():
            notes.append(
                f"profile {profile.name!r} settings changed since the spec was made "
                f"(fingerprint {expected} -> {profile.fingerprint()})"
            )

        base = [
            system_message(self.prompts.system_prompt(timeout_s=self.settings["timeout_s"])),
            text_message(self.prompts.user_prompt(problem.question)),
        ]
        attempts: list[AttemptRecord] = []
        messages = base
        final: tuple[ChatResult, ParsedReply, RenderResult] | None = None
        for index in range(self.settings["max_attempts"]):
            purpose = "initial" if index == 0 else "repair"
            asking: Any = "understand" if index == 0 else "repair"
            if index == 0:
                ctx.report(asking, f"Sending the question (and only the question) to {profile.name}")
            else:
                ctx.report(
                    asking,
                    f"Attempt {index + 1} of {self.settings['max_attempts']}: sending "
                    f"{attempts[-1].error_class or 'the error'} back to {profile.name}",
                    attempt=index,
                )
            try:
                chat = await self._chat(ctx, profile, messages, sample=index)
            except ModelCallError as error:
                attempts.append(_model_failure(index, purpose, error))
                ctx.report(
                    asking, f"The model call failed: {error.failure_class.value}", status="failed", attempt=index
                )
                return self._failed_by_model(problem, error, attempts, started, notes)
            parsed = self.backend.parse(chat.text, truncated=chat.truncated)
            ctx.report(asking, _reply_line(chat), status="ok", attempt=index)
            _report_parsed(ctx, parsed, index)
            common: dict[str, Any] = {
                "purpose": purpose,
                "raw_reply": chat.text,
                "plan": parsed.plan,
                "parse_notes": list(parsed.notes),
                "ledger": [chat.ledger],
            }
            if not parsed.ok:
                attempts.append(
                    AttemptRecord(
                        index=index,
                        code=parsed.code,
                        status="failed",
                        error_class=parsed.error_class,
                        error_message=parsed.error_message,
                        **common,
                    )
                )
                feedback = repair_message(self.prompts, parsed.error_class or "no_code", parsed.error_message)
            else:
                assert parsed.code is not None
                ctx.report("render", "Rendering the script in the sandbox", attempt=index)
                render = await self._render(ctx, parsed.code)
                attempts.append(render_attempt(index, parsed.code, render, **common))
                report_render(ctx, attempts[-1], index)
                if render.ok:
                    final = (chat, parsed, render)
                    break
                feedback = repair_message(
                    self.prompts,
                    attempts[-1].error_class or "runtime_error",
                    render.error,
                    traceback=render.traceback_tail,
                    code=parsed.code,
                    error_line=render.error_line,
                )
            messages = [
                *base,
                {"role": "assistant", "content": chat.text or "(empty reply)"},
                text_message(feedback),
            ]

        if final is None:
            last = attempts[-1]
            notes.append(f"no attempt rendered in {len(attempts)} attempt(s)")
            return failed_figure(
                problem,
                last.error_class or "unknown",
                last.error_message or "",
                started,
                attempts=attempts,
                notes=notes,
                plan=last.plan,
                code=last.code,
            )
        if self.settings["critique"]:
            final = await self._critique(problem, ctx, profile, base, final, attempts, notes)
        chat, parsed, render = final
        return figure_from_render(
            problem, render, attempts, started, plan=parsed.plan, code=parsed.code, notes=notes
        )

    async def _chat(
        self,
        ctx: GenerationContext,
        profile: ModelProfile,
        messages: Sequence[dict[str, Any]],
        *,
        sample: int,
    ) -> ChatResult:
        """One chat call. ``sample`` is the attempt index: an identical repair conversation in a
        later attempt is a new sample, not a cache hit of the earlier one."""
        assert ctx.client is not None
        options: dict[str, Any] = {"use_cache": ctx.use_cache, "sample": sample}
        if self.settings["temperature"] is not None:
            options["temperature"] = self.settings["temperature"]
        if self.settings["max_tokens"] is not None:
            options["max_tokens"] = self.settings["max_tokens"]
        mock = ctx.extras.get("mock_response")
        if mock is not None:
            options["mock_response"] = mock(list(messages)) if callable(mock) else mock
        return await ctx.client.chat(profile, list(messages), **options)

    async def _render(self, ctx: GenerationContext, code: str) -> RenderResult:
        return await self.backend.render(
            ctx,
            code,
            dpi=self.settings["dpi"],
            timeout_s=self.settings["timeout_s"],
            memory_mb=self.settings["memory_mb"],
            svg=self.settings["svg"],
        )

    def _failed_by_model(
        self,
        problem: Problem,
        error: ModelCallError,
        attempts: list[AttemptRecord],
        started: float,
        notes: list[str],
    ) -> FigureResult:
        notes.append(f"the model call failed ({error.failure_class.value}); no repair after a model failure")
        return failed_figure(
            problem,
            error.failure_class.value,
            error.message,
            started,
            attempts=attempts,
            notes=notes,
        )

    async def _critique(
        self,
        problem: Problem,
        ctx: GenerationContext,
        profile: ModelProfile,
        base: list[dict[str, Any]],
        final: tuple[ChatResult, ParsedReply, RenderResult],
        attempts: list[AttemptRecord],
        notes: list[str],
    ) -> tuple[ChatResult, ParsedReply, RenderResult]:
        """Ask a vision model about the render; revise once if it lists problems.

        Returns the final (chat, parsed, render): the revision's when it rendered, else ``final``.
        The critic's call is recorded on the attempt it judged (approved) or on the revision.
        """
        assert ctx.client is not None
        chat, parsed, render = final
        judged = len(attempts) - 1
        ctx.report("critique", "Showing the render and the question to the critic", attempt=judged)
        try:
            critic = ctx.client.resolve(self.settings["critic_model"] or self.settings["model"])
            options: dict[str, Any] = {"use_cache": ctx.use_cache}
            mock = ctx.extras.get("mock_critique")
            if mock is not None:
                options["mock_response"] = mock
            assert render.png is not None
            verdict = await ctx.client.chat(
                critic,
                [image_message(self.prompts.critique.format(question=problem.question.strip()), render.png)],
                **options,
            )
        except ModelCallError as error:
            notes.append(f"critique failed ({error.failure_class.value}); kept the figure")
            _attach(attempts, judged, [error.ledger] if error.ledger else [], "critique failed")
            ctx.report("critique", notes[-1], status="failed", attempt=judged)
            return final
        except ValueError as exc:  # ProfileError for the critic
            notes.append(f"critique skipped: {exc}")
            ctx.report("critique", notes[-1], status="failed", attempt=judged)
            return final
        approved, problems = parse_critique(verdict.text)
        if approved:
            notes.append("critique: approved")
            _attach(attempts, judged, [verdict.ledger], "critique: approved")
            ctx.report("critique", "The critic approved the figure", status="ok", attempt=judged)
            return final
        notes.append("critique asked for a revision: " + " ".join(problems.split())[:300])
        ctx.report("critique", "The critic asked for a revision", status="ok", attempt=judged, detail=problems)
        messages = [
            *base,
            {"role": "assistant", "content": chat.text or "(empty reply)"},
            text_message(self.prompts.revision.format(problems=problems)),
        ]
        index = len(attempts)
        try:
            revision = await self._chat(ctx, profile, messages, sample=index)
        except ModelCallError as error:
            ledger = [verdict.ledger, *([error.ledger] if error.ledger else [])]
            attempts.append(
                _model_failure(index, "revision", error, ledger=ledger, notes=[f"critique: {problems}"])
            )
            notes.append(f"the revision call failed ({error.failure_class.value}); kept the figure before it")
            return final
        revised = self.backend.parse(revision.text, truncated=revision.truncated)
        _report_parsed(ctx, revised, index)
        common: dict[str, Any] = {
            "purpose": "revision",
            "raw_reply": revision.text,
            "plan": revised.plan,
            "parse_notes": [f"critique: {problems}", *revised.notes],
            "ledger": [verdict.ledger, revision.ledger],
        }
        if not revised.ok:
            attempts.append(
                AttemptRecord(
                    index=index,
                    code=revised.code,
                    status="failed",
                    error_class=revised.error_class,
                    error_message=revised.error_message,
                    **common,
                )
            )
            notes.append(
                f"the revision had no usable code ({revised.error_class}); kept the figure before it"
            )
            return final
        assert revised.code is not None
        ctx.report("render", "Rendering the revision in the sandbox", attempt=index)
        rendered = await self._render(ctx, revised.code)
        attempts.append(render_attempt(index, revised.code, rendered, **common))
        report_render(ctx, attempts[-1], index)
        if not rendered.ok:
            notes.append(
                f"the revision did not render ({attempts[-1].error_class}); kept the figure before it"
            )
            return final
        notes.append("kept the revision")
        return revision, revised, rendered


def _backend(settings: dict[str, Any]) -> Backend:
    try:
        return get_backend(settings["backend"])
    except ValueError as exc:
        raise ValueError(f"generator 'imgcoder': {exc}") from None


def _prompts(settings: dict[str, Any], backend: str) -> ImgCoderPrompts:
    """The spec's prompts, or the backend's default ones; they must be written for the backend."""
    version = settings["prompt_version"] or get_backend(backend).prompt_version
    if version not in IMGCODER_PROMPTS:
        raise ValueError(
            f"generator 'imgcoder': unknown prompt_version {version!r} (known: {', '.join(IMGCODER_PROMPTS)})"
        )
    prompts = IMGCODER_PROMPTS[version]
    if prompts.backend != backend:
        raise ValueError(
            f"generator 'imgcoder': prompt_version {version!r} is written for the {prompts.backend} "
            f"backend, not {backend}"
        )
    return prompts


def _model_failure(
    index: int,
    purpose: str,
    error: ModelCallError,
    *,
    ledger: list[LedgerEntry] | None = None,
    notes: list[str] | None = None,
) -> AttemptRecord:
    return AttemptRecord(
        index=index,
        purpose=purpose,  # type: ignore[arg-type]
        status="failed",
        error_class=error.failure_class.value,
        error_message=f"model call failed: {error.message}",
        parse_notes=list(notes or []),
        ledger=ledger if ledger is not None else ([error.ledger] if error.ledger else []),
    )


def _reply_line(chat: ChatResult) -> str:
    entry = chat.ledger
    tokens = f", {entry.tokens_out} tokens" if entry.tokens_out else ""
    cached = " from the cache" if entry.cached else ""
    return f"Reply received{cached}{tokens}" + (" (cut off at max_tokens)" if chat.truncated else "")


def _report_parsed(ctx: GenerationContext, parsed: ParsedReply, attempt: int) -> None:
    """The plan and code steps of a parsed reply (live view only)."""
    if parsed.plan:
        ctx.report("plan", "Plan written", status="ok", attempt=attempt, detail=parsed.plan)
    else:
        ctx.report("plan", "No Plan section in the reply", status="failed", attempt=attempt)
    if parsed.ok and parsed.code:
        lines = len(parsed.code.splitlines())
        ctx.report("code", f"Script parsed ({lines} lines)", status="ok", attempt=attempt, detail=parsed.code)
    else:
        reason = parsed.error_message or parsed.error_class or "no code block"
        ctx.report("code", f"No usable script: {reason}", status="failed", attempt=attempt, detail=parsed.code)


def _attach(attempts: list[AttemptRecord], index: int, ledger: list[LedgerEntry], note: str) -> None:
    """Add the critic's call and a note to an attempt already recorded (records are frozen)."""
    attempt = attempts[index]
    attempts[index] = attempt.model_copy(
        update={"ledger": [*attempt.ledger, *ledger], "parse_notes": [*attempt.parse_notes, note]}
    )
