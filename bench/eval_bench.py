"""The project's FID/KID against torch-fidelity's own command, on the shared SeePhys figures, one run.

Sets: the reference figures ``../shared/scigenbench/seephys_images`` (165 PNGs of mixed sizes) and a
"generated" copy of each (shrunk to 85 %, slightly blurred: a plausible re-drawing), written to a
temporary folder. Both sides run as fresh processes over the same two folders, so each pays its
interpreter start, imports and model load:

* ours: ``core.evaluation.fid.compute_fid_kid`` (this script re-run with ``--ours``);
* theirs: the ``fidelity`` command (``torch_fidelity.fidelity.main``, started behind
  ``core.torchvision_guard`` because torchvision does not import on this CPU torch otherwise) with
  ``--cpu --fid --kid --json``, the same converted weights, ``--kid-subset-size n`` and
  ``--batch-size 1`` (its default of 64 cannot stack figures of different sizes).

Prints wall and CPU times (CPU: the process and its children, e.g. torch-fidelity's DataLoader
workers; steadier than wall time on a shared machine), the ratio ours/theirs (target <= 1.2x) and
whether the values agree (KID exactly, FID to 1e-3). With ``--repeats R`` each side runs R times in
alternating order and the best run counts. Converting the Inception weights (first use only) happens
before timing.

    .venv/bin/python bench/eval_bench.py [--limit N] [--repeats R] [--weights PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEEPHYS_IMAGES = ROOT.parent / "shared" / "scigenbench" / "seephys_images"
TARGET_RATIO = 1.2
FID_TOLERANCE = 1e-3
"""FID units. torch-fidelity takes sqrt-eigenvalues of a rank-deficient 2048x2048 product, whose
~2000 spurious near-zero eigenvalues add ~1e-4 of rounding noise; FID is reported to 2 decimals."""

THEIRS = """
import sys
from core.torchvision_guard import ensure_torchvision_importable
ensure_torchvision_importable()
from torch_fidelity.fidelity import main
sys.argv = ["fidelity", *sys.argv[1:]]
sys.exit(main())
"""


def run_ours(generated: Path, reference: Path, weights: Path) -> None:
    """Child process: the project's FID/KID on two folders, as JSON with its inner timings."""
    started = time.perf_counter()
    from core.evaluation.fid import compute_fid_kid, folder_images
    from core.evaluation.inception import load_inception

    imported = time.perf_counter()
    load_inception(weights)
    loaded = time.perf_counter()
    result = compute_fid_kid(folder_images(generated), folder_images(reference), weights_path=weights)
    done = time.perf_counter()
    timings = {"import_s": imported - started, "model_s": loaded - imported, "metrics_s": done - loaded}
    print(json.dumps({**result.model_dump(), **timings}))


def make_generated_copies(images: list[Path], folder: Path) -> None:
    from PIL import Image, ImageFilter

    for path in images:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        size = (max(16, round(image.width * 0.85)), max(16, round(image.height * 0.85)))
        image.resize(size, Image.Resampling.LANCZOS).filter(ImageFilter.GaussianBlur(0.8)).save(
            folder / path.name
        )


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and its children, e.g. DataLoader workers) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} ... failed:\n{completed.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, completed.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="use only the first N SeePhys figures")
    parser.add_argument(
        "--weights", type=Path, default=None, help="Inception weights (default: workspace cache)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per side, alternating order (best kept)")
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    parser.add_argument(
        "--ours", nargs=3, metavar=("GENERATED", "REFERENCE", "WEIGHTS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.ours:
        run_ours(*(Path(value) for value in args.ours))
        return

    if not SEEPHYS_IMAGES.is_dir():
        raise SystemExit(
            f"SeePhys figures not found at {SEEPHYS_IMAGES} (see ../shared/scigenbench/README.md)"
        )
    images = sorted(SEEPHYS_IMAGES.glob("*.png"))[: args.limit]
    from core.evaluation.inception import ensure_inception_weights, verification_record

    started = time.perf_counter()
    weights = ensure_inception_weights(args.weights)
    weights_s = time.perf_counter() - started
    record = verification_record(weights) or {}

    with tempfile.TemporaryDirectory(prefix="scigen-eval-bench-") as folder:
        generated, reference = Path(folder) / "generated", SEEPHYS_IMAGES
        generated.mkdir()
        make_generated_copies(images, generated)
        if args.limit is not None:  # a folder holding just the chosen references (links, not copies)
            reference = Path(folder) / "reference"
            reference.mkdir()
            for path in images:
                (reference / path.name).symlink_to(path)
        n = len(images)
        commands = {
            "ours": [sys.executable, __file__, "--ours", str(generated), str(reference), str(weights)],
            "theirs": [
                sys.executable, "-c", THEIRS,
                "--input1", str(generated), "--input2", str(reference),
                "--cpu", "--fid", "--kid", "--json", "--silent",
                "--feature-extractor-weights-path", str(weights),
                "--kid-subset-size", str(n), "--batch-size", "1",
            ],
        }  # fmt: skip
        runs: dict[str, list[tuple[float, float, str]]] = {"ours": [], "theirs": []}
        for repeat in range(args.repeats):
            # alternate who goes first, so that a burst of load elsewhere does not favour one side
            order = ("ours", "theirs") if repeat % 2 == 0 else ("theirs", "ours")
            for side in order:
                runs[side].append(timed(commands[side]))

    ours = json.loads(runs["ours"][-1][2].strip().splitlines()[-1])
    theirs_text = runs["theirs"][-1][2]
    theirs = json.loads(theirs_text[theirs_text.index("{") :])
    fid_theirs = theirs["frechet_inception_distance"]
    fid_difference = abs(ours["fid"] - fid_theirs)
    kid_equal = (
        ours["kid"] == theirs["kernel_inception_distance_mean"]
        and ours["kid_std"] == theirs["kernel_inception_distance_std"]
    )
    wall = {side: min(run[0] for run in values) for side, values in runs.items()}
    cpu = {side: min(run[1] for run in values) for side, values in runs.items()}
    ratio, cpu_ratio = wall["ours"] / wall["theirs"], cpu["ours"] / cpu["theirs"]
    numbers = {
        "images_per_set": n,
        "repeats": args.repeats,
        "weights_prepare_s": round(weights_s, 2),
        "weights_max_feature_abs_diff": record.get("max_feature_abs_diff"),
        "ours_wall_s": round(wall["ours"], 2),
        "theirs_wall_s": round(wall["theirs"], 2),
        "ours_cpu_s": round(cpu["ours"], 2),
        "theirs_cpu_s": round(cpu["theirs"], 2),
        "all_wall_s": {side: [round(run[0], 2) for run in values] for side, values in runs.items()},
        "ours_inner_s": {key: round(ours[key], 2) for key in ("import_s", "model_s", "metrics_s")},
        "ratio": round(ratio, 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "target_ratio": TARGET_RATIO,
        "fid_ours": ours["fid"],
        "fid_theirs": fid_theirs,
        "fid_abs_difference": fid_difference,
        "kid_ours": ours["kid"],
        "kid_theirs": theirs["kernel_inception_distance_mean"],
        "kid_std_ours": ours["kid_std"],
        "kid_std_theirs": theirs["kernel_inception_distance_std"],
        "kid_equal": kid_equal,
        "values_agree": kid_equal and fid_difference <= FID_TOLERANCE,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps(numbers, indent=2))
        return
    print(
        f"SeePhys figures: {n} reference vs {n} shrunk+blurred copies; fresh process per run, best of {args.repeats}"
    )
    print(
        f"weights ready in {weights_s:.1f} s (max feature |diff| vs TorchScript: {numbers['weights_max_feature_abs_diff']})"
    )
    print(
        f"ours   (core.evaluation.fid): wall {wall['ours']:7.1f} s  cpu {cpu['ours']:7.1f} s  inner {numbers['ours_inner_s']}"
    )
    print(f"theirs (fidelity command)   : wall {wall['theirs']:7.1f} s  cpu {cpu['theirs']:7.1f} s")
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(f"ratio ours/theirs: {ratio:.3f}x wall, {cpu_ratio:.3f}x cpu (target <= {TARGET_RATIO}x) {verdict}")
    print(
        f"FID ours {ours['fid']:.6f} theirs {fid_theirs:.6f} (|difference| {fid_difference:.2e}, tolerance {FID_TOLERANCE})"
    )
    print(f"KID ours {ours['kid']:.8f} ± {ours['kid_std']:.8f} theirs {theirs['kernel_inception_distance_mean']:.8f} "
          f"± {theirs['kernel_inception_distance_std']:.8f} (equal: {kid_equal})")  # fmt: skip
    print(
        f"values agree: {numbers['values_agree']}  (load average {numbers['load_average_1m']} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
