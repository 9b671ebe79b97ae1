"""A Dagster run launcher that starts each run worker by forking a warm process.

Dagster's default launcher starts every run in a fresh interpreter that imports Dagster and loads
the code location again: about 2.4 s before a track's first step, a third of a 2-minute track's
run. This launcher keeps one process that has imported them already and forks it per run; the
child runs Dagster's own run worker (`dagster api execute_run`) in a session of its own, so the
run is the same run the default launcher would start, with its events, logs and cancellation.

The warm process is started again when the code location's package changed on disk since it
started, so a run never executes older code than the default launcher would. It has the
environment of the process that launches the runs (the command, or `dagster dev`'s daemon with its
`.env`), as the default launcher's code server has. Set in `dagster.yaml`:

    run_launcher:
      module: musicsync_assets.run_launcher
      class: PreloadedRunLauncher
      config: {preload: [scipy.fft]}     # modules the runs import lazily, imported once here too
"""

import contextlib
import importlib
import importlib.util
import json
import os
import pkgutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEventType, EngineEventData
from dagster._core.launcher.base import LaunchRunContext, RunLauncher
from dagster._serdes import ConfigurableClass, ConfigurableClassData

FORKED = "forked from the warm process"  # the engine event `terminate` finds a run's worker by


class PreloadedRunLauncher(RunLauncher, ConfigurableClass):
    def __init__(self, preload: list[str] | None = None, inst_data: ConfigurableClassData | None = None):
        self._preload = list(preload or [])
        self._inst_data = inst_data
        self._lock = threading.Lock()  # the daemon may launch from several threads
        self._warm: WarmProcess | None = None
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict:
        return {"preload": dg.Field([str], is_required=False, default_value=[])}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]):
        return cls(inst_data=inst_data, **config_value)

    def launch_run(self, context: LaunchRunContext) -> None:
        from dagster._grpc.types import ExecuteRunArgs
        from dagster._serdes import serialize_value

        run = context.dagster_run
        origin = run.job_code_origin
        if origin is None:
            raise dg.DagsterInvariantViolationError(f"Run {run.run_id} has no code origin to load its job from.")
        pointer = origin.repository_origin.code_pointer
        working_directory = getattr(pointer, "working_directory", None) or os.getcwd()
        package = (getattr(pointer, "module", None) or "").split(".")[0]
        args = serialize_value(ExecuteRunArgs(job_origin=origin, run_id=run.run_id,
                                              instance_ref=self._instance.get_ref()))
        with self._lock:
            wanted = (working_directory, package, tuple(self._preload))
            if self._warm is None or not self._warm.serves(wanted):
                self._start_warm_process(wanted)
            try:
                pid = self._warm.fork(args)
            except (BrokenPipeError, ValueError):  # it died since: a new one, once
                self._start_warm_process(wanted)
                pid = self._warm.fork(args)
            warm_pid = self._warm.pid
        # An event, not a tag: `terminate` may be called from any process (the UI's, the daemon's,
        # the command's), and a tag would show on every run in the UI's lists.
        self._instance.report_engine_event(
            f"Run worker {pid} {FORKED} {warm_pid}.", run,
            EngineEventData(metadata={"pid": pid, "warm_process_pid": warm_pid}), cls=self.__class__)

    def _start_warm_process(self, key: tuple) -> None:
        from dagster._serdes import serialize_value

        if self._warm is not None:
            self._warm.stop()
        self._warm = WarmProcess(*key, instance_ref=serialize_value(self._instance.get_ref()))

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        pids = [entry.dagster_event.engine_event_data.metadata["pid"].value
                for entry in self._instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
                if FORKED in entry.message]
        if not pids:
            return False
        self._instance.report_run_canceling(run)
        try:
            # The run worker turns SIGINT into an interrupt of the current step, as the default
            # launcher's cancellation does, and the run ends cancelled.
            os.kill(pids[-1], signal.SIGINT)
        except ProcessLookupError:
            return False
        return True

    def dispose(self) -> None:
        with self._lock:
            if self._warm is not None:
                self._warm.stop()
                self._warm = None


class WarmProcess:
    """The process runs are forked from: a child of the launching process that lives until that
    process ends (its stdin closes) or the code it imported changes on disk."""

    def __init__(self, working_directory: str, package: str, preload: tuple[str, ...], instance_ref: str):
        self.key = (working_directory, package, preload)
        self._stamp = code_stamp(package)
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=working_directory,
            # Ctrl-C in a terminal is for the command that started it, which cancels its runs itself.
            start_new_session=True,
        )
        # On stdin, not the command line: `ps` shows every process's arguments, and the instance's
        # settings may hold a database password.
        self._send({"working_directory": working_directory, "package": package, "preload": list(preload),
                    "instance_ref": instance_ref})
        if self._process.stdout.readline().strip() != "ready":
            raise dg.DagsterInvariantViolationError("The warm run-worker process could not start; its error is above.")

    @property
    def pid(self) -> int:
        return self._process.pid

    def serves(self, key: tuple) -> bool:
        return key == self.key and self._process.poll() is None and code_stamp(key[1]) == self._stamp

    def fork(self, execute_run_args: str) -> int:
        self._send(execute_run_args)
        return int(self._process.stdout.readline())

    def _send(self, message) -> None:
        self._process.stdin.write(json.dumps(message) + "\n")
        self._process.stdin.flush()

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()  # runs already forked carry on: they are in sessions of their own
        self._process.wait()


def code_stamp(package: str) -> float:
    """The newest modification time of the package's modules, which the warm process imported."""
    paths: list[Path] = []
    spec = importlib.util.find_spec(package) if package else None
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            paths.extend(Path(location).rglob("*.py"))
    return max((path.stat().st_mtime for path in paths if path.exists()), default=0.0)


def _serve() -> None:
    """Imports what every run needs, then forks one run worker per line read from stdin."""
    setup = json.loads(sys.stdin.readline())
    working_directory, package, preload = setup["working_directory"], setup["package"], setup["preload"]
    from dagster._serdes import deserialize_value

    sys.path.insert(0, working_directory)
    from dagster._cli.api import execute_run_command

    for module in [package, *preload] if package else preload:
        importlib.import_module(module)
    if package:
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            importlib.import_module(module.name)
    # Opening the instance once imports its storage (SQLAlchemy, Alembic): half a second per run.
    with dg.DagsterInstance.from_ref(deserialize_value(setup["instance_ref"])) as instance:
        replies = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)  # whatever a run prints goes to stderr, never into the replies
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished run workers are reaped by the kernel
        replies.write("ready\n")
        for line in sys.stdin:
            execute_run_args = json.loads(line)
            _load_job(execute_run_args, instance)
            pid = os.fork()
            if pid == 0:
                replies.close()
                _run_worker(execute_run_args, execute_run_command)
            replies.write(f"{pid}\n")


def _load_job(execute_run_args: str, instance: dg.DagsterInstance) -> None:
    """Loads the run's job as its run worker will (`core_execute_run`), before forking it: Dagster
    keeps the last job loaded, keyed by the job and its repository load data, so every worker of
    that job finds it loaded (0.3 s a run)."""
    from dagster._grpc.types import ExecuteRunArgs
    from dagster._serdes import deserialize_value
    from dagster._utils.hosted_user_process import recon_job_from_origin

    args = deserialize_value(execute_run_args, ExecuteRunArgs)
    recon_job = recon_job_from_origin(args.job_origin)
    # A job that does not load is the run worker's to report, with its error; here it stays unloaded.
    with contextlib.suppress(Exception):
        run = instance.get_run_by_id(args.run_id)
        if run is not None and run.has_repository_load_data:
            snapshot = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
            recon_job = recon_job.with_repository_load_data(snapshot.repository_load_data)
        recon_job.get_definition()


def _run_worker(execute_run_args: str, execute_run_command) -> None:
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # ffmpeg's exit status must reach the run
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    code = 0
    try:
        execute_run_command.callback(input_json=execute_run_args, compressed_input_json=None)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - a forked child must never return into the warm process's loop
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    _serve()
