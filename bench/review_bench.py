"""How long a reviewer waits on the Review page, in Debian chromium: 20 figures rated with the
keyboard (five scores and one quiz verdict each, then → to the next), each key timed from the
press until Streamlit has finished the rerun and drawn the page (the browser tests' "done").

The workspace is the review test workspace (two runs over the bundled sample's problems, a judge
run with two judges, a quiz run), so the agreement section is recomputed after every mark, as
for a PI reviewing judged runs. Prints the median and 90th percentile per key and the total time
spent waiting for the whole review.

    .venv/bin/python bench/review_bench.py [--figures 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import streamlit_driver as driver  # noqa: E402
from tests.dashboard.review_workspaces import make_review_workspace  # noqa: E402

KEYS_PER_FIGURE = ("2", "1", "1", "0", "2", "Y", "ArrowRight")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=20)
    args = parser.parse_args()
    reason = driver.chromium_missing_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="review-bench-") as folder:
        home = make_review_workspace(Path(folder) / "home").home
        env = {"SCIGEN_HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "MPLBACKEND": "Agg"}
        with driver.streamlit_server(driver.APP_SCRIPT, env=env, log_path=Path(folder) / "streamlit.log") as server, \
                sync_playwright() as playwright, driver.chromium_context(playwright) as context:
            page = context.new_page()
            runs = driver.ScriptRuns(page)
            page.goto(f"{server.base_url}/review?reviewer=bench")
            driver.wait_until_done(page)
            waits: list[float] = []
            for figure in range(args.figures):
                last = figure == args.figures - 1
                for key in KEYS_PER_FIGURE[:-1] if last else KEYS_PER_FIGURE:  # → does nothing on the last
                    before = runs.finished
                    started = time.perf_counter()
                    page.keyboard.press(key)
                    if not runs.wait_for_more_than(before):
                        print(f"key {key!r} started no rerun")
                        return 1
                    driver.wait_until_done(page)
                    waits.append(time.perf_counter() - started)
    waits.sort()
    print(f"{args.figures} figures, {len(waits)} keys: median {statistics.median(waits) * 1000:.0f} ms, "
          f"p90 {waits[int(len(waits) * 0.9)] * 1000:.0f} ms per key; {sum(waits):.1f} s waiting in total")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
