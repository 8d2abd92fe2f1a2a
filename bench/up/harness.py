#!/usr/bin/env python3
"""The shared process-manager harness (../shared/bench/process-managers/bench.py), unchanged,
with three more tools: `flotilla` (the supervisor alone: bench/up/driver.ts, built to
$FLOTILLA_DRIVER), `flotilla-up` (the whole CLI: `bin/run.js up --network loopback`) and `cat`
(both workloads piped through cat: the throughput anchor). Same arguments as bench.py."""
import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.environ.get("PROCMGR_BENCH", os.path.join(os.path.dirname(__file__), "../../../shared/bench/process-managers")))
import bench  # noqa: E402

shared_setup = bench.setup


def setup(tool, scenario, lines, nproc, wd):
    if tool == "flotilla-up":  # the whole CLI, as a user types it (needs the build in dist/)
        _, env = shared_setup("proto", scenario, lines, nproc, wd)
        run = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../bin/run.js")
        return ["node", run, "up", "--network", "loopback"], env
    if tool == "flotilla":
        _, env = shared_setup("proto", scenario, lines, nproc, wd)  # writes the Procfile
        return ["node", os.environ["FLOTILLA_DRIVER"], "Procfile"], env
    if tool == "cat":
        _, env = shared_setup("bash-raw", scenario, lines, nproc, wd)
        jobs = " ".join(f"( {c} ) &" for _, c in bench.procfile_lines(scenario, lines, nproc))
        return ["sh", "-c", f"{{ {jobs} wait; }} | cat"], env
    return shared_setup(tool, scenario, lines, nproc, wd)


class Bounded(subprocess.Popen):
    """bench.py's exit scenario waits forever on a manager that deadlocks (foreman, §5.4): the
    manager's session is SIGKILLed a little after --timeout, and the run reports the timeout."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if kwargs.get("start_new_session"):
            timer = threading.Timer(hard_limit, self.expire)
            timer.daemon = True
            timer.start()

    def expire(self):
        if self.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)


args = sys.argv[1:]
hard_limit = float(args[args.index("--timeout") + 1]) + 5 if "--timeout" in args else 305
bench.subprocess.Popen = Bounded
bench.setup = setup
bench.main()
