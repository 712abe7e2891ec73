"""Smoke test of the benchmark: ``benchmarks/run --quick`` starts and reports."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

import pytest

from tests.e2e.harness import module_available

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN = REPO_ROOT / "benchmarks" / "run"
# Exit codes of a finished run: every target met, or some target missed (the
# figures of a quick run are not representative; the full run judges them).
FINISHED = (0, 3)
EXPECTED_ROWS = (
    "JSON requests per poll",
    "JSON requests per hour, 1-min interval",
    "JSON requests per hour, 5-min interval",
    "Image downloads per image per item change, 1 viewer(s)",
    "Image downloads per image per item change, 5 viewer(s)",
    "Image downloads per image per item change, 20 viewer(s)",
    "Image downloads per hour (2 changes), 1 viewer(s)",
    "Bytes from Simkl per hour, 1 viewer(s), no ETag",
    "Bytes from Simkl per hour, 1 viewer(s), with ETag",
    "Body bytes of an unchanged poll, with ETag",
    "Sensor state_changed per unchanged poll, with ETag",
    "Sensor state writes per unchanged poll, with ETag",
    "Poll CPU time in HA's event loop, new item",
    "Added start-up time, Simkl reachable",
    "Added start-up time, Simkl unreachable (closed port)",
    "Blocking calls reported by Home Assistant's detector",
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite's fixture of this name: the benchmark needs no ``hass``."""


def test_quick_benchmark_prints_table(socket_enabled: None, tmp_path: Path) -> None:
    """Run the benchmark in quick mode and find every expected row of its table."""
    for module in ("homeassistant", "hass_frontend"):
        if not module_available(sys.executable, module):
            pytest.skip(f"{module} is not installed; scripts/setup installs it")
    # Like Home Assistant's processes in the end-to-end test, the benchmark
    # must not count toward the suite's coverage.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("COV_CORE_") and key != "COVERAGE_PROCESS_START"
    }
    result = subprocess.run(  # noqa: S603
        [str(RUN), "--quick", "--results", str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-5000:]}"
    assert result.returncode in FINISHED, report
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows, report
    header = rows[0]
    for setup in ("A: Simkl integration", "B: rest + generic camera", "C: rest"):
        assert setup in header, report
    names = [row.split("|")[1].strip() for row in rows[2:]]
    for expected in EXPECTED_ROWS:
        assert any(name.startswith(expected) for name in names), (expected, report)
    assert all(row.count("|") == 7 for row in rows), report
    assert (tmp_path / "RESULTS.md").is_file()
