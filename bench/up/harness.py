#!/usr/bin/env python3
"""The shared process-manager harness (../shared/bench/process-managers/bench.py), unchanged,
with two more tools: `flotilla` (bench/up/driver.ts, built to $FLOTILLA_DRIVER) and `cat` (both
workloads piped through cat: the throughput anchor). Same arguments as bench.py."""
import os
import sys

sys.path.insert(0, os.environ.get("PROCMGR_BENCH", os.path.join(os.path.dirname(__file__), "../../../shared/bench/process-managers")))
import bench  # noqa: E402

shared_setup = bench.setup


def setup(tool, scenario, lines, nproc, wd):
    if tool == "flotilla":
        _, env = shared_setup("proto", scenario, lines, nproc, wd)  # writes the Procfile
        return ["node", os.environ["FLOTILLA_DRIVER"], "Procfile"], env
    if tool == "cat":
        _, env = shared_setup("bash-raw", scenario, lines, nproc, wd)
        jobs = " ".join(f"( {c} ) &" for _, c in bench.procfile_lines(scenario, lines, nproc))
        return ["sh", "-c", f"{{ {jobs} wait; }} | cat"], env
    return shared_setup(tool, scenario, lines, nproc, wd)


bench.setup = setup
bench.main()
