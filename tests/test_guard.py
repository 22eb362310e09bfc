"""Before a run: the memory estimate refuses what will not fit, the folder lock a second run."""

from __future__ import annotations

import fcntl
import sys

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.guard import FolderBusyError, FolderLock, RunRefused, check_memory, estimate, parse_size

runner = CliRunner()
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="folder locks use fcntl")


@pytest.fixture(scope="module")
def sweden():
    from tests.conftest import ROOT

    return sim.load_scenario(ROOT / "scenarios" / "reference" / "sweden.yaml")


@pytest.fixture
def example(root):
    return root / "scenarios" / "examples" / "single_ward.yaml"


def test_sizes_are_read_like_people_write_them():
    assert parse_size("4G") == 4 * 2**30
    assert parse_size("512 MB") == 512 * 2**20
    assert parse_size("1.5GiB") == int(1.5 * 2**30)
    assert parse_size("2000") == 2000
    with pytest.raises(RunRefused):
        parse_size("lots")


def test_the_estimate_grows_with_every_factor_and_shrinks_with_the_daily_level(sweden):
    sc = sweden
    one = estimate(sc, 1, "node").bytes
    assert estimate(sc, 3, "node").bytes > 2.5 * (one - estimate(sc, 0, "node").bytes)
    assert estimate(sc, 3, "region").bytes < estimate(sc, 3, "node").bytes
    assert estimate(sc, 3, "none").bytes < estimate(sc, 3, "region").bytes
    longer = sc.with_overrides({"horizon_days": 360})
    assert estimate(longer, 1, "node").bytes > 1.9 * (one - estimate(sc, 0, "node").bytes)


def test_a_run_too_big_for_the_limit_says_what_to_reduce(root, tmp_path, sweden):
    scenario = root / "scenarios" / "reference" / "sweden.yaml"
    result = runner.invoke(app, ["run", str(scenario), "--max-memory", "200M", "-r", "3",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    size = f"{len(sweden.nodes)} nodes x {len(sweden.products)} products x 180 days"
    assert "would need about" in text and size in text
    for advice in ("--daily region", "--daily none", "horizon_days=", "--max-memory"):
        assert advice in text
    assert list(tmp_path.iterdir()) == []
    sc = sweden
    with pytest.raises(RunRefused):
        check_memory(sc, 3, None, parse_size("200M"))
    assert check_memory(sc, 3, None, parse_size("64G")).replications == 3


def test_a_bad_limit_is_a_message(example, tmp_path):
    result = runner.invoke(app, ["run", str(example), "--max-memory", "much",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "expected a size such as 4G" in result.output


def test_a_second_run_onto_a_folder_being_written_is_refused(example, tmp_path):
    out = tmp_path / "out"
    with FolderLock(out):  # as another live run holds it
        result = runner.invoke(app, ["run", str(example), "--out", str(out), "-r", "1"])
        assert result.exit_code == 2 and "in use by a run that is still writing it" in (
            result.output)
        assert not out.exists()
        with pytest.raises(FolderBusyError):
            FolderLock(out).acquire()
    result = runner.invoke(app, ["run", str(example), "--out", str(out), "-r", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # the lock file is gone


def test_a_run_onto_a_batch_that_is_still_running_is_refused(example, tmp_path):
    out = tmp_path / "batch"
    out.mkdir()
    with open(out / ".lock", "a+") as handle:  # what a running batch holds
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = runner.invoke(app, ["run", str(example), "--out", str(out), "--overwrite",
                                     "-r", "1"])
    assert result.exit_code == 2 and "a batch that is still running" in result.output
    assert [p.name for p in out.iterdir()] == [".lock"]


def test_advice_says_when_no_step_fits_on_its_own(sweden):
    """A limit barely over the fixed part: no single step listed is enough, and it says so."""
    with pytest.raises(RunRefused) as err:
        check_memory(sweden, 3, "node", limit=65 * 2**20)
    assert "(none of these fits on its own: combine them, or use a smaller network)" in str(
        err.value)
    with pytest.raises(RunRefused) as err:
        check_memory(sweden, 3, "node", limit=2**30)
    assert "none of these fits" not in str(err.value)
