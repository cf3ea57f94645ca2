"""``scigen serve``: the dashboard, full on this machine or read-only (``--viewer``) for a lab."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from core.cli import CliError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="serve the dashboard (--viewer: read-only, to share a workspace with a lab)",
        description=(
            "Run the Streamlit dashboard on the workspace. --viewer serves it read-only: no Workbench pages "
            "(Generate, Jobs), no job start, no model key in the server's environment, nothing written except "
            "reviews by signed-in reviewers. Binding beyond 127.0.0.1 is refused unless --viewer or --sign-in "
            "is given. --sign-in needs an [auth] section in .streamlit/secrets.toml (see README)."
        ),
    )
    serve.add_argument("--viewer", action="store_true", help="read-only: no Workbench, no jobs, no model keys")
    serve.add_argument("--sign-in", action="store_true", dest="sign_in",
                       help="reviewers sign in (OIDC via st.login); only allow-listed emails save reviews")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    serve.add_argument("--dry-run", action="store_true", help="print the command and environment flags, do not start")
    serve.set_defaults(handler=run_serve)


def streamlit_command(host: str, port: int, *, viewer: bool) -> list[str]:
    from core.workspace import PROJECT_ROOT

    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "streamlit_app.py"),
               "--server.address", host, "--server.port", str(port), "--server.headless", "true"]
    if viewer:
        # No "rerun on save" or developer menu for people viewing a shared workspace.
        command += ["--server.runOnSave", "false", "--server.fileWatcherType", "none", "--client.toolbarMode",
                    "viewer"]
    return command


def _secrets_have_auth() -> bool:
    import tomllib

    from core.workspace import PROJECT_ROOT

    path = PROJECT_ROOT / ".streamlit" / "secrets.toml"
    try:
        return "auth" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return False


def run_serve(args: argparse.Namespace) -> int:
    from core.serving import SIGN_IN_ENV, VIEWER_ENV, binding_refusal, exposure_warning, without_secrets
    from core.workspace import PROJECT_ROOT, Workspace

    if not 0 < args.port < 65536:
        raise CliError(f"--port must be 1-65535, got {args.port}")
    refusal = binding_refusal(args.host, viewer=args.viewer, sign_in=args.sign_in)
    if refusal is not None:
        raise CliError(refusal)
    if args.sign_in and not _secrets_have_auth():
        raise CliError("--sign-in needs an [auth] section in .streamlit/secrets.toml (README: Viewer mode)")
    warning = exposure_warning(args.host, args.port, viewer=args.viewer, sign_in=args.sign_in)
    if warning:
        print(warning, file=sys.stderr)
    workspace = Workspace.from_env(getattr(args, "home", None))
    env = without_secrets(os.environ) if args.viewer else dict(os.environ)
    env["SCIGEN_HOME"] = str(workspace.home)
    env[VIEWER_ENV] = "1" if args.viewer else "0"
    env[SIGN_IN_ENV] = "1" if args.sign_in else "0"
    command = streamlit_command(args.host, args.port, viewer=args.viewer)
    if args.dry_run:
        print(" ".join(command))
        print(f"{VIEWER_ENV}={env[VIEWER_ENV]} {SIGN_IN_ENV}={env[SIGN_IN_ENV]} SCIGEN_HOME={env['SCIGEN_HOME']}")
        return 0
    if args.viewer:
        from core.store import Store

        Store.open(workspace)  # pending schema migrations apply here, at launch: no page visit ever writes
    print(f"serving {'read-only ' if args.viewer else ''}on http://{args.host}:{args.port}", file=sys.stderr)
    try:
        # From the project folder, so its .streamlit/config.toml (XSRF protection, upload limit) applies.
        return subprocess.call(command, env=env, cwd=PROJECT_ROOT)
    except KeyboardInterrupt:
        return 0
