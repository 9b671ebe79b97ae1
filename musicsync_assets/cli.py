"""`musicsync`: the pipeline's jobs and the catalog, for people and scripts.

    musicsync demo                 make a few synthesised tracks in the inbox and sync them
    musicsync sync URL_OR_PATH...  sync tracks, each in its own run (the UI shows them)
    musicsync analyze FILE...      BPM, key and Camelot of any audio file (--json for scripts)
    musicsync library              the catalog (--json for scripts)
    musicsync runs                 the run history
    musicsync notion check [--fix] the Notion databases against what musicsync needs
    musicsync doctor               what is configured, what is missing
"""

import argparse
import json
import os
import sys
from pathlib import Path

from dotenv import load_dotenv

from musicsync_assets import cli_insights, cli_library
from musicsync_assets.lib.pipeline.sources import SOURCES

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _resources() -> dict:
    from musicsync_assets.defs.resources import build_resources

    return build_resources()


def _music_library():
    return _resources()["music_library"]


def _print_table(rows: list[dict], columns: list[str], headers: dict[str, str] | None = None,
                 empty: str = "(no tracks)") -> None:
    if not rows:
        print(empty)
        return
    headers = {c: (headers or {}).get(c, c).upper() for c in columns}
    widths = {c: min(48, max(len(headers[c]), *(len(str(r.get(c) or "")) for r in rows))) for c in columns}
    print("  ".join(headers[c].ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        print("  ".join(str(row.get(c) or "-")[: widths[c]].ljust(widths[c]) for c in columns).rstrip())


def _library_rows(keys: list[str] | None = None) -> list[dict]:
    from musicsync_assets.lib.pipeline.stages import library_row

    store = _music_library().store
    with store.session():
        tracks = keys if keys is not None else [t.track_key for t in store.tracks()]
        return [library_row(store, key) for key in tracks]


def _show_library(rows: list[dict]) -> None:
    flat = [{**row, "artist": ", ".join(row["artists"]), "formats": ",".join(row["files"]),
             "reason": (row["error"] or "").split(" — ")[0]} for row in rows]
    _print_table(flat, ["title", "artist", "bpm", "key", "camelot", "formats", "status", "track_key", "reason"],
                 {"track_key": "track key"})


def run_sync(sources: list[str], verbose: bool = False) -> int:
    """Adds the sources as tracks and syncs each in its own `sync_track` run, launched through the
    code location so the UI shows it; prints one line per track and exits 1 when any failed."""
    from musicsync_assets.lib.pipeline.stages import register_sources

    store = _music_library().store
    store.ping()  # an unwritable data folder is one error for the command, not one per source
    registered = register_sources(store, sources)
    for registration in registered:
        if registration.problem:
            print(f"✘ {registration.source}: {registration.problem}", file=sys.stderr)
        elif registration.known_as:
            print(f"· {registration.source}: {registration.verdict}")
    keys = list(dict.fromkeys(r.track_key for r in registered if r.to_sync))
    results = _sync_keys(store, keys, verbose) if keys else {}
    if results is None:
        return EXIT_INTERRUPTED
    if keys:
        print()
        # The library's refresh keeps one copy of a recording: a track folded into another is gone.
        for duplicate in store.duplicates():
            if duplicate["track_key"] in keys and store.track(duplicate["track_key"]) is None:
                kept = store.track(duplicate["duplicate_of"])
                print(f"· {duplicate['track_key']}: the same recording as {kept.label if kept else duplicate['duplicate_of']}"
                      f"; the library keeps one copy ({duplicate['detail'].get('policy', 'flagged')})")
        if kept := [key for key in keys if store.track(key)]:
            _show_library(_library_rows(kept))
    failed = any(r.problem for r in registered) or not all(results.values())
    return EXIT_FAILED if failed else EXIT_OK


def _sync_keys(store, keys: list[str], verbose: bool) -> dict[str, bool] | None:
    """Each track's run, launched and awaited; None when the user stopped the command."""
    from musicsync_assets import launch
    from musicsync_assets.defs.jobs import TRACK_KEYS_TAG, refresh_library_job, sync_track_job, track_run_tags
    from musicsync_assets.defs.partitions import track_partitions
    from musicsync_assets.defs.run_summaries import record_run
    from musicsync_assets.lib.pipeline.stages import discard_scratch

    results: dict[str, bool] = {}
    with launch.instance() as instance, launch.launcher(instance) as launcher, launch.interruptible() as stop:
        runs: dict[str, str] = {}
        rendered_again: set[str] = set()
        try:
            waves = [keys]
            while waves:
                wave = waves.pop()
                instance.add_dynamic_partitions(track_partitions.name, wave)
                wave_runs = []
                for key in wave:
                    if stop.is_set():
                        raise launch.Interrupted
                    wave_runs.append(launcher.launch(sync_track_job.name, track_run_tags(store, key, "cli"), key))
                    runs[wave_runs[-1]] = key
                print(f"Syncing {len(wave)} track{'s' if len(wave) > 1 else ''} (Ctrl-C stops) ...", flush=True)
                for run in launcher.wait(wave_runs, stop):
                    summary = record_run(instance, run.run_id, store)
                    key = runs[run.run_id]
                    results[key] = run.status.value == "SUCCESS"
                    print(_track_line(store, key, summary), flush=True)
                    if verbose and not results[key]:
                        _print_failure_trace(instance, run.run_id)
                [refresh] = launcher.wait([launcher.launch(refresh_library_job.name, {})], stop)
                # The refresh keeps one copy of each recording; where the better copy replaced an
                # entry's audio, that entry is rendered again from it.
                better = [k for k in refresh.tags.get(TRACK_KEYS_TAG, "").split(",") if k and k not in rendered_again]
                if better:
                    rendered_again.update(better)
                    print("A better copy of the same recording replaces the audio; rendering again ...")
                    waves.append(better)
        except launch.Interrupted:
            unfinished = [run_id for run_id in runs if instance.get_run_by_id(run_id).status not in launch.FINISHED]
            print(f"\nStopping {len(unfinished)} unfinished run(s) ...", file=sys.stderr, flush=True)
            launcher.cancel(unfinished)
            settings = _music_library().settings()
            for run_id in unfinished:
                record_run(instance, run_id, store)
                discard_scratch(settings, runs[run_id])
            print("Stopped. Nothing was marked failed; `musicsync sync` again resumes where this stopped.",
                  file=sys.stderr)
            return None
    return results


def _track_line(store, key: str, summary) -> str:
    track = store.track(key)
    label = track.label if track else key
    if summary.status == "SUCCESS":
        from musicsync_assets.lib.pipeline.stages import library_row

        row = library_row(store, key)  # what the tags say: your override where you gave one
        tempo = f"{row['bpm']} BPM" if row["bpm"] else "no tempo"
        tonality = f"{row['key']}, {row['camelot']}" if row["key"] else "no key"
        overridden = " and ".join(row["overridden"])
        return f"✔ {label}: {tempo}, {tonality}" + (f" (your {overridden})" if overridden else "")
    # A failure is named by what the user gave: their file's name or their link.
    source = (Path(track.source_url).name if track.source_kind == "file" else track.source_url) if track else key
    return f"✘ {source}: {summary.error_message or summary.error_class} (run {summary.run_id[:8]}; -v for details)"


def _print_failure_trace(instance, run_id: str) -> None:
    import dagster as dg

    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        error = entry.dagster_event.step_failure_data.error
        if error:
            print(error.to_string(), file=sys.stderr)


def sync_next_in_chain(resources: dict, verbose: bool) -> int:
    from musicsync_assets.defs.sources.finders import next_track

    key, source, reasons = next_track(resources["music_library"], resources["soundcloud"], resources["spotify"],
                                      resources["notion"])
    for reason in reasons:
        print(f"skipped {reason}")
    if key is None:
        print("Nothing to sync from any source.")
        return EXIT_OK
    print(f"{source} supplied {key}\n")
    return run_sync([key], verbose)


def cmd_demo(args: argparse.Namespace) -> int:
    from musicsync_assets.lib.audio import demo

    inbox = _music_library().paths.ensure().inbox
    made = [demo.write_demo_track(track, inbox, seed=i) for i, track in enumerate(demo.DEMO_TRACKS[: args.tracks])]
    print(f"Synthesised {len(made)} demo tracks with known tempo and key into {inbox}:")
    for track in demo.DEMO_TRACKS[: args.tracks]:
        print(f"  {track.artist} - {track.title}: {track.bpm:g} BPM, {track.key} ({track.container})")
    print()
    status = run_sync([str(p) for p in made])
    print("\nSee the materialisations and check results in the UI: run `dagster dev` in this folder "
          "and open http://127.0.0.1:3000 (Assets → tracks; Runs for the history).")
    return status


def cmd_sync(args: argparse.Namespace) -> int:
    if args.source_from:
        if args.sources:
            print("name sources or --from a source, not both", file=sys.stderr)
            return EXIT_USAGE
        return sync_from(args.source_from, args.limit, args.dry_run, args.verbose)
    if not args.sources:
        print("name URLs, files or track keys to sync, or --from a source", file=sys.stderr)
        return EXIT_USAGE
    if args.limit is not None:
        print("--limit applies to --from only", file=sys.stderr)
        return EXIT_USAGE
    if args.dry_run:
        return dry_run(args.sources)
    return run_sync(args.sources, args.verbose)


def dry_run(sources: list[str]) -> int:
    """What `musicsync sync SOURCES` would do, changing nothing (not even creating the catalog)."""
    from musicsync_assets.lib.errors import MusicsyncError
    from musicsync_assets.lib.pipeline.sources import identify

    music = _music_library()
    store = music.store if music.paths.database.exists() else None
    status = EXIT_OK
    print("Dry run, nothing changed:")
    for source in sources:
        try:
            known = store.track(source) if store else None
            ref = None if known else identify(source)
            known = known or (store.track(store.key_for_source(ref.kind, ref.source_id) or ref.track_key)
                              if store else None)
        except MusicsyncError as error:
            print(f"  ✘ {source}: would be refused: {error}")
            status = EXIT_FAILED
            continue
        if known:
            verdict = "already synced" if known.status == "synced" else f"would sync again (now {known.status})"
            print(f"  {known.track_key}  {source}: {known.label}, {verdict}")
        else:
            print(f"  {ref.track_key}  {source}: would be added and synced")
    return status


def sync_from(source: str, limit: int | None, dry_run: bool, verbose: bool = False) -> int:
    """What is new at one source, from where its sensor (or the last run of this) stopped."""
    from musicsync_assets.defs.sources.finders import find_new

    resources = _resources()
    if source == "next":
        if dry_run:
            print("--dry-run is not available with --from next (picking the next track registers it)",
                  file=sys.stderr)
            return EXIT_USAGE
        return sync_next_in_chain(resources, verbose)
    found = find_new(source, resources["music_library"], resources["soundcloud"], resources["spotify"],
                     resources["notion"], budget=limit, dry_run=dry_run)
    if found.paused:
        print(found.paused, file=sys.stderr)
        return EXIT_FAILED
    print((f"Would sync from {source} (dry run, nothing changed):" if dry_run else f"New from {source}:")
          if found.lines else f"Nothing new from {source}.")
    for line in found.lines + [f"skipped: {reason}" for reason in found.skipped]:
        print(f"  {line}")
    print(found.summary)
    if dry_run or not found.to_sync:
        return EXIT_OK
    print()
    return run_sync(found.to_sync, verbose)


def cmd_analyze(args: argparse.Namespace) -> int:
    from musicsync_assets.lib.audio.analysis import analyze_file
    from musicsync_assets.lib.errors import MusicsyncError

    status = EXIT_OK
    for name in args.files:
        try:  # the default DJ range: no Dagster import for a quick look at a file
            if not Path(name).is_file():
                raise MusicsyncError(f"{name} does not exist or is not a file", "check the path")
            result = analyze_file(Path(name)).as_json(Path(name))
        except MusicsyncError as error:
            result, status = {"path": name, "error": str(error)}, EXIT_FAILED
        except OSError as error:
            result, status = {"path": name, "error": f"{name} cannot be read: {error.strerror}"}, EXIT_FAILED
        if args.json:
            print(json.dumps(result))
        elif "error" in result:
            print(f"{name}: {result['error']}", file=sys.stderr)
        else:
            print(f"{name}: {_analysis_line(result)}")
    return status


def _analysis_line(result: dict) -> str:
    """One file's `analyze` result for a person: what could not be told is said, not printed as None."""
    tempo = f"{result['bpm']} BPM ({result['bpm_confidence']:.2f})" if result["bpm"] else "no tempo"
    key = f"{result['key']} = {result['camelot']} ({result['key_confidence']:.2f})" if result["key"] else "no key"
    loudness = f", {result['loudness_lufs']} LUFS" if result["loudness_lufs"] is not None else ""
    return f"{tempo}, {key}, {result['duration_s']:.1f} s{loudness}"


def cmd_override(args: argparse.Namespace) -> int:
    from musicsync_assets.lib.errors import MusicsyncError
    from musicsync_assets.lib.pipeline.stages import set_overrides

    if not (args.clear or args.bpm is not None or args.key is not None):
        print("say what to override: --bpm, --key, or --clear", file=sys.stderr)
        return EXIT_USAGE
    store = _music_library().store
    try:
        track = set_overrides(store, args.track_key, args.bpm, args.key, args.clear)
    except (MusicsyncError, ValueError) as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED
    analysis = store.analysis(track.track_key)
    print(f"{track.display_title}: BPM {track.bpm_override or '-'} (estimated "
          f"{round(analysis.bpm, 1) if analysis and analysis.bpm else '-'}), key {track.key_override or '-'} "
          f"(estimated {analysis.key_name if analysis else '-'})")
    if args.no_sync:
        print(f"The tags change on the next sync: musicsync sync {track.track_key}")
        return EXIT_OK
    print("Writing the tags ...\n")
    return run_sync([track.track_key])


def cmd_auth(args: argparse.Namespace) -> int:
    """Spotify's authorisation-code flow, once, for the refresh token the sensors use."""
    from musicsync_assets.lib.errors import MusicsyncError
    from musicsync_assets.lib.services.spotify import DEFAULT_TOKEN_URL, authorize

    def show(url: str) -> None:
        print(f"Add http://127.0.0.1:{args.port}/callback as a redirect URI in your Spotify app's settings, "
              f"then open this link and allow access:\n\n  {url}\n\nWaiting for Spotify ...", flush=True)

    try:
        refresh_token = authorize(os.environ.get("SPOTIFY_CLIENT_ID", ""), os.environ.get("SPOTIFY_CLIENT_SECRET", ""),
                                  args.port, show, os.environ.get("MUSICSYNC_SPOTIFY_TOKEN_URL") or DEFAULT_TOKEN_URL)
    except MusicsyncError as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED
    print(f"\nDone. Put this line in .env (it is a secret: keep it out of the repository):\n\n"
          f"SPOTIFY_REFRESH_TOKEN={refresh_token}")
    return EXIT_OK


def cmd_match(args: argparse.Namespace) -> int:
    """Your choice of upload for a Spotify track: kept in the overrides file, then synced."""
    from musicsync_assets.lib.pipeline.matching import load_overrides

    music = _music_library()
    track = music.store.track(args.track_key)
    if track is None or track.source_kind != "spotify":
        print(f"{args.track_key} is not a Spotify track in the catalog (see `musicsync library`)", file=sys.stderr)
        return EXIT_FAILED
    path = music.paths.match_overrides
    overrides = load_overrides(path)
    overrides[args.track_key.removeprefix("sp-")] = args.url
    music.paths.ensure()
    scratch = music.paths.scratch / path.name
    scratch.write_text(json.dumps(overrides, indent=2, sort_keys=True) + "\n")
    scratch.replace(path)
    print(f"{track.display_title} will be downloaded from {args.url} (kept in {path})\n")
    return run_sync([args.track_key])


def cmd_library(args: argparse.Namespace) -> int:
    rows = _library_rows()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        _show_library(rows)
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    runs = _music_library().store.runs(args.limit)
    _print_table([{"started": r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else "",
                   "job": r.job, "status": r.status,
                   "seconds": f"{r.duration_s:.1f}" if r.duration_s else "",
                   "tracks": ",".join(r.track_keys), "error": r.error_class or ""} for r in runs],
                 ["started", "job", "status", "seconds", "tracks", "error"], empty="(no runs)")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    """Takes tracks out of the library with the files musicsync wrote for them; your own files
    (the inbox, the paths you synced from) are never touched."""
    from musicsync_assets import launch
    from musicsync_assets.defs.partitions import track_partitions
    from musicsync_assets.lib.pipeline.stages import remove_track

    music = _music_library()
    status = EXIT_OK
    with launch.instance() as instance:
        for key in args.track_keys:
            track = music.store.track(key)
            if track is None:
                print(f"✘ {key} is not in the library (see `musicsync library` for track keys)", file=sys.stderr)
                status = EXIT_FAILED
                continue
            deleted = remove_track(music.settings(), key)
            if instance.has_dynamic_partition(track_partitions.name, key):
                instance.delete_dynamic_partition(track_partitions.name, key)
            print(f"removed {track.label} ({key}) and {len(deleted)} files musicsync wrote for it")
    return status


def cmd_doctor(args: argparse.Namespace) -> int:
    from musicsync_assets.lib import doctor

    findings = doctor.examine(_music_library().paths)
    for finding in findings:
        print(f"{finding.mark} {finding.name:<18} {finding.detail}")
    return EXIT_FAILED if any(f.broken for f in findings) else EXIT_OK


def cmd_notion(args: argparse.Namespace) -> int:
    from musicsync_assets.defs.resources import build_resources
    from musicsync_assets.lib.errors import MusicsyncError

    resources = build_resources()
    session = resources["notion"].sync(resources["music_library"])
    if session is None:
        print("Notion is not configured: set NOTION_TOKEN and NOTION_TRACKS_DATABASE "
              "(and NOTION_TASKS_DATABASE for failure tasks).", file=sys.stderr)
        return EXIT_FAILED
    status, fixable = EXIT_OK, False
    databases = ["Tracks"] + (["Agent-Tasks"] if session.settings.tasks_database else [])
    for which in databases:
        try:
            if args.fix:
                added = session.fix_schema(which)
                print(f"{which}: added {', '.join(added)}" if added else f"{which}: nothing to add")
            report = session.schema(which, fresh=True)
        except MusicsyncError as error:
            print(f"✘ {which}: {error}")
            status = EXIT_FAILED
            continue
        fixable = fixable or bool(report.missing)
        if report.problems or report.lacking_options:
            status = EXIT_FAILED
            for problem in report.problems + [f"{which}: {lacking}" for lacking in report.lacking_options]:
                print(f"✘ {problem}")
        else:
            print(f"✔ {which}: every property musicsync needs is there (title: {report.title_property})")
    if fixable and not args.fix:
        print("Run `musicsync notion check --fix` to add what is missing; types are never changed.")
    return status


def _at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a count: give 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musicsync", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="print the stack trace of a failed track")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="synthesise demo tracks into the inbox and sync them")
    demo.add_argument("--tracks", type=int, default=4, help="how many demo tracks (1-4)")
    demo.set_defaults(run=cmd_demo)
    sync = commands.add_parser("sync", help="sync URLs or audio files (or a catalogued track again, by its key)")
    sync.add_argument("sources", nargs="*", metavar="URL_OR_PATH")
    sync.add_argument("--from", dest="source_from", choices=["next", *SOURCES],
                      help="sync what is new there, from where its sensor last stopped; `next`: the first of "
                           "Spotify playing now, the newest SoundCloud like, the newest Spotify like, the Notion queue")
    sync.add_argument("--limit", type=_at_least_one, help="with --from: read about this many new likes at most")
    sync.add_argument("--dry-run", action="store_true", help="show what would be synced, change nothing")
    sync.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                      help="print the stack trace of a failed track")
    sync.set_defaults(run=cmd_sync)
    analyze = commands.add_parser("analyze", help="BPM, key and Camelot of audio files")
    analyze.add_argument("files", nargs="+", metavar="FILE")
    analyze.add_argument("--json", action="store_true", help="one JSON object per file")
    analyze.set_defaults(run=cmd_analyze)
    library = commands.add_parser("library", help="list the catalog")
    library.add_argument("--json", action="store_true")
    library.set_defaults(run=cmd_library)
    override = commands.add_parser("override", help="your own BPM or key for a track, written into its tags")
    override.add_argument("track_key", help="as `musicsync library` lists it")
    override.add_argument("--bpm", type=float, help="e.g. 128 or 174.5")
    override.add_argument("--key", help='e.g. "A minor", "F#m", "8A" or "1m"')
    override.add_argument("--clear", action="store_true", help="go back to the estimates")
    override.add_argument("--no-sync", action="store_true", help="record only; the next sync writes the tags")
    override.set_defaults(run=cmd_override)

    auth = commands.add_parser("auth", help="authorise musicsync with a service, once")
    auth.add_argument("service", choices=["spotify"])
    auth.add_argument("--port", type=int, default=8974, help="of the http://127.0.0.1:PORT/callback redirect URI")
    auth.set_defaults(run=cmd_auth)

    match = commands.add_parser("match", help="choose the upload a Spotify track is downloaded from")
    match.add_argument("track_key", help="an sp-… key, as `musicsync library` lists it")
    match.add_argument("url", help="the YouTube (or any) link to download it from")
    match.set_defaults(run=cmd_match)

    runs = commands.add_parser("runs", help="the run history")
    runs.add_argument("--limit", type=_at_least_one, default=20, help="how many of the latest runs")
    runs.set_defaults(run=cmd_runs)
    notion = commands.add_parser("notion", help="Notion: check the databases' schema")
    notion_commands = notion.add_subparsers(dest="notion_command", required=True)
    check = notion_commands.add_parser("check", help="compare the databases with what musicsync needs")
    check.add_argument("--fix", action="store_true", help="add missing properties (never changes yours)")
    check.set_defaults(run=cmd_notion)
    remove = commands.add_parser("remove", help="take tracks (and the files musicsync wrote) out of the library")
    remove.add_argument("track_keys", nargs="+", metavar="TRACK_KEY", help="as `musicsync library` lists them")
    remove.set_defaults(run=cmd_remove)
    cli_library.add_commands(commands)
    doctor = commands.add_parser("doctor", help="check the setup")
    doctor.set_defaults(run=cmd_doctor)
    cli_insights.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from musicsync_assets.lib.errors import MusicsyncError

    load_dotenv(Path.cwd() / ".env")
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except MusicsyncError as error:  # a setup problem (an unwritable data folder, say): one line, no trace
        print(f"musicsync: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
