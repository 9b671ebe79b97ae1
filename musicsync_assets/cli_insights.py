"""`musicsync plans`, `musicsync gaps` and `musicsync report`, for `cli.py` to register:

    from musicsync_assets import cli_insights
    cli_insights.add_commands(commands)     # `commands`: the parser's add_subparsers()

They read the workspace (MUSICSYNC_WORKSPACE, MUSICSYNC_PLANS_DIRS), the catalog and the Dagster
instance directly, start no run and change nothing.
"""

import argparse
import json
from datetime import datetime

EXIT_OK, EXIT_USAGE = 0, 2


def _resources() -> dict:
    from musicsync_assets.defs.resources import build_resources

    return build_resources()


def _print_json(value) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def plans(args: argparse.Namespace) -> int:
    from musicsync_assets.lib.insights import plans as plan_files

    workspace = _resources()["workspace"]
    found, problems = plan_files.scan(workspace.path, workspace.plans_dirs)
    if args.json:
        _print_json([plan.as_json() for plan in found])
        return EXIT_OK
    if not found:
        print(f"No plan files in {', '.join(workspace.plans_dirs)} under {workspace.path}.")
    for plan in found:
        print(f"{plan.plan}  ({plan.file})")
        if plan.error:
            print(f"  ! {plan.error}")
        for deliverable in plan.deliverables:
            mark = {"exists": "✔", "missing": "✘", "outside_workspace": "!"}[deliverable.status]
            print(f"  {mark} {deliverable.path or deliverable.name}  [{deliverable.status}]")
        for task in plan.incomplete_tasks:
            print(f"  ☐ {task}")
    for problem in problems:
        if not any(problem.startswith(plan.file) for plan in found):
            print(f"! {problem}")
    return EXIT_OK


def current_gaps() -> list:
    """The gaps as the `automation_gaps` asset finds them now, over this checkout's definitions and
    the Dagster instance the UI uses."""
    from musicsync_assets import launch
    from musicsync_assets.definitions import defs
    from musicsync_assets.defs.insights.workflow import gap_inputs
    from musicsync_assets.lib.insights.gaps import find_gaps

    resources = _resources()
    sensor_defs = defs().get_repository_def().sensor_defs
    with launch.instance() as instance:
        inputs = gap_inputs(instance, sensor_defs, resources)
    found, _ = find_gaps(resources["music_library"].store, inputs)
    return found


def gaps(args: argparse.Namespace) -> int:
    found = current_gaps()
    if args.json:
        _print_json([{k: v for k, v in gap.as_json().items() if k in ("id", "priority", "evidence", "action")}
                     for gap in found])
        return EXIT_OK
    if not found:
        print("No automation gaps.")
    for gap in found:
        print(f"[{gap.priority}] {gap.gap_id}: {gap.title}\n    evidence: {gap.evidence}\n    action:   {gap.action}")
    return EXIT_OK


def history(args: argparse.Namespace) -> int:
    from musicsync_assets.lib.insights import report

    try:
        since = datetime.fromisoformat(args.since) if args.since else None
    except ValueError:
        print(f"--since takes a date such as 2026-11-01, not {args.since!r}")
        return EXIT_USAGE
    views = report.history(_resources()["music_library"].store, since)
    if args.json:
        _print_json(views)
        return EXIT_OK
    for name, rows in views.items():
        print(f"\n{name.replace('_', ' ')}:")
        if not rows:
            print("  (no runs)")
            continue
        columns = list(rows[0])
        widths = {c: max(len(c), *(len(str(row[c])) for row in rows)) for c in columns}
        print("  " + "  ".join(c.upper().ljust(widths[c]) for c in columns))
        for row in rows:
            print("  " + "  ".join(str(row[c]).ljust(widths[c]) for c in columns))
    return EXIT_OK


def add_commands(commands) -> None:
    """Adds `plans`, `gaps` and `report` to the `musicsync` parser's subcommands."""
    listing = commands.add_parser("plans", help="plan files: deliverables and whether they exist, unfinished tasks")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=plans)
    found = commands.add_parser("gaps", help="what keeps musicsync from running by itself")
    found.add_argument("--json", action="store_true")
    found.set_defaults(run=gaps)
    asked = commands.add_parser("report", help="the run history: success rates, failures, time per asset, "
                                               "throughput, slowest tracks")
    asked.add_argument("--since", help="count runs started on or after this date (YYYY-MM-DD)")
    asked.add_argument("--json", action="store_true")
    asked.set_defaults(run=history)
