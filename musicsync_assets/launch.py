"""How the `musicsync` command starts runs: through the code location, as `dagster job launch` does,
so the UI shows them beside sensor and launchpad runs, then waits for them.

Runs are submitted to the instance's run queue, whose limits come from `dagster.yaml`. While
`dagster dev` runs, its daemon starts them; otherwise this process works the queue itself with
Dagster's own queue logic, so the limits hold either way.
"""

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import yaml

CHECKOUT = Path(__file__).resolve().parent.parent  # holds workspace.yaml and dagster.yaml
LOCATION = "musicsync_assets.definitions"  # the code location's name, as workspace.yaml loads it
PARTITION_TAG = "dagster/partition"
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
UNFINISHED = set(dg.DagsterRunStatus) - FINISHED
QUEUED = {dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED}
STOPPED = "Cancelled: the musicsync command was stopped; the next sync resumes this track."
DAEMON_SILENT_AFTER_S = 60
WRITTEN_BY_MUSICSYNC = "# Written by musicsync from the checkout's dagster.yaml.\n"
# The runs' console output would land in this terminal (the code server is a child of this
# process); the full event log is kept either way and shown in the UI.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def instance() -> dg.DagsterInstance:
    """The one Dagster instance every way of starting musicsync shares: DAGSTER_HOME when set, else
    `data/dagster_home` in the checkout, where `dagster dev` run from the checkout keeps its runs,
    logs and pools too (whatever MUSICSYNC_DATA_DIR says about the music). A home without a
    `dagster.yaml` of its own gets the checkout's run launcher, queue limits and pools, and keeps
    them up to date with the checkout's."""
    from dagster._core.instance.ref import InstanceRef

    home = Path(os.environ.get("DAGSTER_HOME") or CHECKOUT / "data" / "dagster_home").expanduser().resolve()
    home_settings(home)
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def home_settings(home: Path) -> bool:
    """Gives the Dagster home the checkout's run launcher, queue limits and pools, unless it has a
    `dagster.yaml` of its own; True when it had none before."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    new = not config.exists()
    if new or config.read_text().startswith(WRITTEN_BY_MUSICSYNC):
        settings = yaml.safe_load((CHECKOUT / "dagster.yaml").read_text())
        shared = {name: settings[name] for name in ("telemetry", "run_launcher", "concurrency") if name in settings}
        text = WRITTEN_BY_MUSICSYNC + yaml.safe_dump(shared, sort_keys=False)
        if new or config.read_text() != text:
            config.write_text(text)
    return new


class Interrupted(Exception):
    """The user pressed Ctrl-C while runs were under way."""


@contextmanager
def interruptible() -> Iterator[threading.Event]:
    """Ctrl-C sets the event instead of raising wherever the main thread happens to be (inside
    Dagster or a weakref callback it could be swallowed); a second Ctrl-C raises at once."""
    stop = threading.Event()

    def request_stop(signum, frame):
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


class Launcher:
    """Creates runs of the code location's jobs, works the run queue when no daemon does, and
    cancels what it started when asked to stop."""

    def __init__(self, instance: dg.DagsterInstance, process_context):
        self.instance = instance
        self._process = process_context
        self._queue = None

    def launch(self, job_name: str, tags: dict[str, str], partition_key: str | None = None) -> str:
        """Queues a run of the job; its events go to the instance (and the UI), not to this terminal."""
        request = self._process.create_request_context()
        location = request.get_code_location(LOCATION)
        [repository] = location.get_repositories().values()
        remote_job = repository.get_full_job(job_name)
        run_tags = {**remote_job.tags, **tags, **({PARTITION_TAG: partition_key} if partition_key else {})}
        plan = location.get_execution_plan(remote_job, QUIET, step_keys_to_execute=None, known_state=None,
                                           instance=self.instance)
        run = self.instance.create_run(
            job_name=job_name, run_id=None, run_config=QUIET, resolved_op_selection=None,
            step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute, op_selection=None,
            status=None, root_run_id=None, parent_run_id=None, tags=run_tags, job_snapshot=remote_job.job_snapshot,
            execution_plan_snapshot=plan.execution_plan_snapshot, parent_job_snapshot=remote_job.parent_job_snapshot,
            remote_job_origin=remote_job.get_remote_origin(), job_code_origin=remote_job.get_python_origin(),
            asset_selection=None, asset_check_selection=None, asset_graph=repository.asset_graph,
        )
        self.instance.submit_run(run.run_id, request)
        return run.run_id

    def wait(self, run_ids: list[str], stop: threading.Event | None = None, poll_s: float = 0.5
             ) -> Iterator[dg.DagsterRun]:
        """Each run as it finishes, working the queue meanwhile if no daemon is there to; raises
        Interrupted as soon as `stop` is set."""
        stop = stop or threading.Event()
        waiting = list(run_ids)
        queued = True
        while waiting:
            if stop.is_set():
                raise Interrupted
            if queued:
                # Off the main thread, Dagster's launch code leaves the Ctrl-C handler alone (on it,
                # Dagster swaps in one that raises wherever the main thread is, even in a gc callback).
                worker = threading.Thread(target=self._work_queue, name="musicsync-run-queue", daemon=True)
                worker.start()
                worker.join()
            queued = False
            for run_id in list(waiting):
                run = self.instance.get_run_by_id(run_id)
                if run.status in FINISHED:
                    waiting.remove(run_id)
                    yield run
                # Once every run has left the queue, working it would only take CPU from the runs.
                queued = queued or run.status in QUEUED
            if waiting:
                stop.wait(poll_s)

    def cancel(self, run_ids: list[str], grace_s: float = 15.0) -> None:
        """Cancels queued runs and interrupts started ones; a run that does not stop within the
        grace period is marked cancelled, so nothing is left looking as if it still ran."""
        deadline = time.monotonic() + grace_s
        for run_id in run_ids:
            run = self.instance.get_run_by_id(run_id)
            if run.status in QUEUED:
                self.instance.report_run_canceled(run, message=STOPPED)
        # A run still starting would take a termination request as an outside failure: let it start.
        while time.monotonic() < deadline and self._in(run_ids, {dg.DagsterRunStatus.STARTING}):
            time.sleep(0.25)
        for run_id in self._in(run_ids, {dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING}):
            self.instance.run_launcher.terminate(run_id)
        while time.monotonic() < deadline and self._in(run_ids, UNFINISHED):
            time.sleep(0.25)
        for run_id in self._in(run_ids, UNFINISHED):
            self.instance.report_run_canceled(self.instance.get_run_by_id(run_id), message=STOPPED)

    def _in(self, run_ids: list[str], statuses: set[dg.DagsterRunStatus]) -> list[str]:
        return [run_id for run_id in run_ids if self.instance.get_run_by_id(run_id).status in statuses]

    def _work_queue(self) -> None:
        if self._daemon_alive():
            return
        from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

        if self._queue is None:
            self._queue = QueuedRunCoordinatorDaemon(interval_seconds=1)
        for _ in self._queue.run_iteration(self._process):
            pass

    def _daemon_alive(self) -> bool:
        heartbeat = self.instance.get_daemon_heartbeats().get("QUEUED_RUN_COORDINATOR")
        return bool(heartbeat and time.time() - heartbeat.timestamp < DAEMON_SILENT_AFTER_S)


@contextmanager
def launcher(instance: dg.DagsterInstance) -> Iterator[Launcher]:
    """The code location loaded as `dagster dev` loads it (a code server of its own), for launching."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import ModuleTarget

    target = ModuleTarget(module_name=LOCATION, attribute=None, working_directory=str(CHECKOUT),
                          location_name=None)
    with WorkspaceProcessContext(instance, target, code_server_log_level="WARNING") as process:
        yield Launcher(instance, process)
