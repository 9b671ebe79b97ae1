"""How often a Spotify track is matched to the right upload, over hand-written candidate lists
(`benchmarks/matching_cases.py`) in several scripts and credit styles; no network.

    python -m benchmarks.matching [--part tune|held-out|all] [--show]    (from the repository root)

Each track ends *right* (the chosen upload is the recording, or none is and it went to review),
*wrong* (another recording was chosen: a wrong track in the crate) or *review* (a right upload was
there but scored under the threshold). Figures for the tuning half and the held-out half, per
script and per credit style. Targets: >= 95% right, no wrong.
"""

import argparse
import sys
from collections import Counter, defaultdict

from benchmarks.matching_cases import CASES, Case
from musicsync_assets.lib.pipeline.matching import choose


def outcome(case: Case) -> tuple[str, str]:
    """(right | wrong | review, what was chosen)."""
    match = choose(case.wanted, case.search)
    chosen = match.url.rsplit("=", 1)[1] if match.url else None
    if chosen is None:
        return ("review" if case.right else "right"), f"review (best {match.score:.2f})"
    return ("right" if chosen in case.right else "wrong"), f"{chosen} ({match.score:.2f}, {match.decided_by})"


def table(title: str, rows: dict[str, Counter]) -> list[str]:
    lines = [f"{title:<16} {'tracks':>6} {'right':>6} {'wrong':>6} {'review':>6}"]
    for name, counts in sorted(rows.items()):
        total = sum(counts.values())
        lines.append(f"{name:<16} {total:>6} {counts['right'] / total:>6.0%} {counts['wrong']:>6} {counts['review']:>6}")
    return lines


def report(cases: list[Case], label: str, show: bool) -> list[str]:
    by_script, by_credit, overall = defaultdict(Counter), defaultdict(Counter), Counter()
    shown = []
    for case in cases:
        result, detail = outcome(case)
        overall[result] += 1
        by_script[case.script][result] += 1
        by_credit[case.credit][result] += 1
        if show or result != "right":
            shown.append(f"  {result:<6} {case.name}: {detail}; right: {', '.join(case.right) or 'review'}")
    total = sum(overall.values())
    heading = (f"== {label}: {total} tracks, {overall['right']} right ({overall['right'] / total:.0%}), "
               f"{overall['wrong']} wrong, {overall['review']} to review")
    return [heading] + shown + table("script", by_script) + [""] + table("credit style", by_credit) + [""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("tune", "held-out", "held-out 2", "all"), default="all")
    parser.add_argument("--show", action="store_true", help="list every track's outcome, not only the misses")
    args = parser.parse_args()
    for part in ("tune", "held-out", "held-out 2"):
        if args.part in (part, "all"):
            print("\n".join(report([c for c in CASES if c.part == part], part, args.show)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
