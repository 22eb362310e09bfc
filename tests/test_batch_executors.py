"""The same batch on every executor: serial, local processes, a local Dask cluster.

Each path must really go through its executor (the manifest records which processes ran the
tasks), give bit-identical tables, and survive interruption (resume) and worker death (Dask).
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

import sim
from sim.batch.store import BatchStore
from tests.batch_helpers import GRID, assert_same_tables, scenario, write_scenario

KEEP = ("kpis", "daily", "events", "ledger")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "b"
    return sim.batch(scenario(), sweep=GRID, replications=6, chunk=2, tables=KEEP, out=out)


def pids(result: sim.BatchResult) -> set[int]:
    return {int(p.rsplit(":", 1)[1]) for p in result.manifest["processes"]}


def test_serial_runs_in_this_process(serial):
    assert serial.manifest["executor"] == "serial"
    assert pids(serial) == {os.getpid()}


def test_processes_give_identical_tables(serial, tmp_path):
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = sim.batch(scenario(), sweep=GRID, replications=6, chunk=2, tables=KEEP,
                           executor=pool, out=tmp_path / "b")
    assert result.manifest["executor"] == "ProcessPoolExecutor"
    assert os.getpid() not in pids(result) and len(pids(result)) >= 1
    assert_same_tables(serial, result)


def test_interrupted_batch_resumes_to_identical_tables(serial, tmp_path):
    out = tmp_path / "b"

    def stop_after_some(done, total):
        if done >= 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sim.batch(scenario(), sweep=GRID, replications=6, chunk=2, tables=KEEP, out=out,
                  progress=stop_after_some)
    saved = BatchStore(out).done()
    assert 0 < len(saved) < 12 and not (out / "manifest.json").exists()
    # A part half-written by a killed process is a hidden folder; resume must ignore it.
    (out / "parts" / ".v0000-r000004.deadbeef").mkdir()
    (out / "parts" / ".v0000-r000004.deadbeef" / "kpis.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(Exception, match="already exists"):
        sim.batch(scenario(), sweep=GRID, replications=6, chunk=2, tables=KEEP, out=out)
    resumed = sim.batch(scenario(), sweep=GRID, replications=6, chunk=2, tables=KEEP, out=out,
                        resume=True)
    assert resumed.manifest["tasks_run_here"] == 12 - len(saved)
    assert_same_tables(serial, resumed)


def test_sigkilled_cli_batch_resumes_to_identical_tables(tmp_path):
    path = write_scenario(tmp_path)
    out = tmp_path / "b"
    cmd = [sys.executable, "-m", "sim.cli", "batch", str(path), "-r", "40", "--chunk", "1",
           "--workers", "1", "--sweep", "disruptions.0.duration_days=5,20", "--out", str(out),
           "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = BatchStore(out)
    deadline = time.monotonic() + 60
    while len(store.done()) < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = store.done()
    assert 5 <= len(saved) < 80, "the batch must be killed part-way"
    done = subprocess.run([*cmd, "--resume"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    resumed = sim.BatchResult.open(out)
    assert resumed.manifest["tasks_run_here"] == 80 - len(saved)
    clean = sim.batch(sim.load_scenario(path), sweep={"disruptions.0.duration_days": [5, 20]},
                      replications=40, chunk=1)
    assert_same_tables(clean, resumed)


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    # A random free port for the dashboard: the default 8787 may be taken by another run.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cl, Client(cl) as client:
        yield client


def test_dask_gives_identical_tables(serial, cluster, tmp_path):
    workers = set(cluster.run(os.getpid).values())
    result = sim.batch(scenario(), sweep=GRID, replications=6, chunk=2, tables=KEEP,
                       executor=cluster, out=tmp_path / "b")
    assert result.manifest["executor"] == "ClientExecutor"
    assert pids(result) <= workers and os.getpid() not in pids(result)
    assert_same_tables(serial, result)


def test_dask_worker_death_does_not_change_results(cluster, tmp_path):
    pid_of = cluster.run(os.getpid)  # worker address -> process id
    killed: list[tuple[int, list]] = []

    def kill_a_busy_worker(done, total):
        # Once results come in, kill a worker while it is running tasks of this batch.
        if done >= 2 and not killed:
            busy = {addr: keys for addr, keys in cluster.processing().items() if keys}
            if busy:
                addr, keys = sorted(busy.items())[0]
                os.kill(pid_of[addr], signal.SIGKILL)
                killed.append((pid_of[addr], list(keys)))

    result = sim.batch(scenario(), sweep=GRID, replications=6, chunk=1, tables=KEEP,
                       executor=cluster, out=tmp_path / "b", progress=kill_a_busy_worker)
    assert killed and killed[0][1], "a worker must die holding tasks"
    cluster.wait_for_workers(2, timeout=60)
    assert killed[0][0] not in set(cluster.run(os.getpid).values())  # it really died
    serial_chunk1 = sim.batch(scenario(), sweep=GRID, replications=6, chunk=1, tables=KEEP)
    assert_same_tables(serial_chunk1, result)


def test_cli_scheduler_option_runs_on_the_cluster(cluster, tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    path = write_scenario(tmp_path)
    workers = set(cluster.run(os.getpid).values())
    args = ["batch", str(path), "-r", "4", "--sweep", "disruptions.0.duration_days=5,20", "-q"]
    res = CliRunner().invoke(app, [*args, "--scheduler", cluster.scheduler.address,
                                   "--out", str(tmp_path / "dask")])
    assert res.exit_code == 0, res.output
    on_dask = sim.BatchResult.open(tmp_path / "dask")
    assert pids(on_dask) <= workers
    res = CliRunner().invoke(app, [*args, "--workers", "1", "--out", str(tmp_path / "here")])
    assert res.exit_code == 0, res.output
    assert_same_tables(on_dask, sim.BatchResult.open(tmp_path / "here"))


def children_of(parent: int) -> list[str]:
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            out.append(stat.split("/")[2])
    return out


def test_pool_workers_exit_when_the_client_is_killed(tmp_path):
    path = write_scenario(tmp_path)
    out = tmp_path / "b"
    cmd = [sys.executable, "-m", "sim.cli", "batch", str(path), "-r", "400", "--chunk", "1",
           "--workers", "2", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = BatchStore(out)
    deadline = time.monotonic() + 60
    while len(store.done()) < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    children = children_of(proc.pid)
    assert children, "the pool must be running"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def alive(pid: str) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split()[2] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 15
    while any(alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [c for c in children if alive(c)]
