"""Display helpers of the Generate page: step lines and table column settings (pure; nothing draws)."""

from __future__ import annotations

import re

import streamlit as st

from core.generation.base import GenerationStep

PIPELINE: tuple[str, ...] = ("understand", "plan", "code", "render", "repair")
STEP_TITLES: dict[str, str] = {
    "understand": "Understand",
    "plan": "Plan",
    "code": "Code",
    "render": "Render",
    "repair": "Repair",
    "critique": "Critique",
}
STATUS_ICONS: dict[str, str] = {"running": "⏳", "ok": "✅", "failed": "❌"}
# The heading a model writes above its plan ("Plan", "## Plan:", "**Step 1 - Plan**"); the panel
# has its own title.
PLAN_HEADING = re.compile(
    r"\A\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?:step\s*1\s*[-:.–—]?\s*)?plan\b\s*(?:\*\*|__)?\s*[:.]?\s*(?:\*\*|__)?[ \t]*\n?",
    re.IGNORECASE,
)


def pipeline_caption(current: str | None = None) -> str:
    """``Understand → Plan → Code → Render → Repair`` with the current step in bold."""
    return " → ".join(
        f"**{STEP_TITLES[name]}**" if name == current else STEP_TITLES[name] for name in PIPELINE
    )


def step_title(step: GenerationStep) -> str:
    attempt = f" (attempt {step.attempt + 1})" if step.attempt else ""
    return f"{STEP_TITLES.get(step.step, step.step.title())}{attempt}"


def step_line(step: GenerationStep) -> str:
    """One Markdown line per reported step, e.g. ``✅ **Render** — Rendered in 0.4 s``."""
    return f"{STATUS_ICONS.get(step.status, '•')} **{step_title(step)}** — {step.message}"


def status_label(status: str, seconds: float, label: str) -> str:
    """The collapsed status box's label once the figure is done."""
    outcome = "Figure ready" if status == "ok" else "No figure"
    return f"{outcome} · {label} · {seconds:.1f} s"


def plan_markdown(plan: str | None) -> str:
    """The plan as the Plan panel shows it: without the model's own "Plan" heading, one line per
    line of the plan (Markdown would run them together)."""
    text = PLAN_HEADING.sub("", plan or "", count=1).strip()
    if not text:
        return "*No plan: offline generators draw without one.*"
    return "  \n".join(line.rstrip() for line in text.splitlines())


def attempts_column_config() -> dict:
    return {
        "Render s": st.column_config.NumberColumn("Render s", format="%.2f"),
        "Cost USD": st.column_config.NumberColumn("Cost USD", format="$%.4f"),
        "Error": st.column_config.TextColumn("Error", width="large"),
    }


def answers_column_config() -> dict:
    return {
        "Quiz": st.column_config.NumberColumn("Quiz", width="small"),
        "Right": st.column_config.TextColumn(
            "Right", width="small", help="✓ the answer from the image is correct"
        ),
        "Reply": st.column_config.TextColumn(
            "Reply", width="large", help="What the answerer replied or OCR read"
        ),
    }


def judge_column_config() -> dict:
    return {
        "Score": st.column_config.ProgressColumn("Score", min_value=0, max_value=2, format="%d / 2"),
        "Rationale": st.column_config.TextColumn("Rationale", width="large"),
    }


def quiz_summary(table) -> str:
    """``3 of 4 quizzes answered correctly from the image alone``."""
    right = int((table["Right"] == "✓").sum()) if len(table) else 0
    return f"{right} of {len(table)} quizzes answered correctly from the image alone"
