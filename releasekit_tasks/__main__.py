"""``python -m releasekit_tasks init|explain``: what runs before there is a dodo.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from releasekit_tasks.errors import RKError, explain
from releasekit_tasks.scaffold import init


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m releasekit_tasks")
    commands = parser.add_subparsers(dest="command", required=True)
    init_cmd = commands.add_parser("init", help="write releasekit.toml and dodo.py")
    init_cmd.add_argument("root", nargs="?", default=".", type=Path)
    init_cmd.add_argument("--force", action="store_true", help="overwrite existing files")
    init_cmd.add_argument("--dry-run", action="store_true", help="say what would be written")
    init_cmd.add_argument(
        "--ci",
        choices=["github", "gitlab"],
        help="also write the CI workflow (.github/workflows/releasekit.yml or .gitlab-ci.yml)",
    )
    init_cmd.add_argument(
        "--jobs",
        choices=["single", "per-level", "per-package"],
        default="single",
        help="with --ci: publish in one job, or as a job graph following the release graph",
    )
    init_cmd.add_argument(
        "--install",
        default="releasekit-tasks",
        help="with --ci: what the jobs pip-install to get releasekit (default: releasekit-tasks)",
    )
    explain_cmd = commands.add_parser("explain", help="explain an RK-… error code")
    explain_cmd.add_argument("codes", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "explain":
        print("\n\n".join(explain(code) for code in args.codes or [""]))
        return 0
    try:
        if args.ci and (args.root / "releasekit.toml").is_file():
            lines = ["kept releasekit.toml"]  # a configured repository: only the workflow
        else:
            lines = init(args.root, force=args.force, dry_run=args.dry_run)
        if args.ci:
            from releasekit_tasks.forges.workflows import write_workflow

            lines += write_workflow(
                args.root,
                args.ci,
                args.jobs,
                force=args.force,
                dry_run=args.dry_run,
                install=args.install,
            )
        for line in lines:
            print(line)
    except RKError as err:
        print(err.render(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
