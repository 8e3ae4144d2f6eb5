"""A non-editable install of the wheel serves the app and answers `coverage` from another folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (not editable); dependencies come from this venv."""
    tmp = tmp_path_factory.mktemp("install")
    # build from a copy, so that the build writes nothing into the checkout
    source = tmp / "src"
    skip_top = {".git", ".venv", "tests", "benchmarks", "build", "dist"}

    def ignore(folder: str, names: list[str]) -> set[str]:
        top = skip_top if Path(folder) == ROOT else set()
        return {n for n in names if n in top or n == "__pycache__" or n.endswith(".egg-info")}

    shutil.copytree(ROOT, source, ignore=ignore)
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
        timeout=300,
    )
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the dependencies (not this project) are taken from the test's own environment; a path in a
    # .pth file is appended after the venv's own site-packages, so the wheel's files come first
    # and the running environment's editable-install hooks (their own .pth files) are not run
    Path(site, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # --ignore-installed: the dependencies' folder holds this project's editable install, which
    # must be neither taken as "already satisfied" nor uninstalled
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            *wheels.glob("*.whl"),
        ],
        check=True,
        timeout=120,
    )
    return venv


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QUARTIERSATLAS_DATA")}
    env["HOME"] = os.environ.get("HOME", "/tmp")
    return env


def test_installed_package_uses_its_own_files(installed: Path, tmp_path: Path) -> None:
    code = (
        "import layers, dashboard, layers._resources as r; "
        "print(layers.__file__); print(r.bundled_dir('data')); print(r.bundled_dir('assets'))"
    )
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        env=_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(line.startswith(str(installed)) for line in out), out
    assert out[1].endswith("quartiersatlas_data") and out[2].endswith("quartiersatlas_assets")


def test_installed_cli_answers_coverage(installed: Path, tmp_path: Path) -> None:
    args = ["coverage", "--category", "meeting", "--radius", "500", "--format", "csv"]
    result = subprocess.run(
        [str(installed / "bin" / "quartiersatlas"), *args],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    expected = subprocess.run(
        [sys.executable, "-c", "from dashboard.cli import main; main()", *args],
        cwd=ROOT,
        env={**_env(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "category,area_id,area_name,residents,covered,share"
    assert len(lines) > 20
    if expected.returncode == 0:  # same numbers as the checkout
        assert result.stdout == expected.stdout


def test_installed_app_serves_assets(installed: Path, tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [str(installed / "bin" / "quartiersatlas"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(OSError):
                status = _get(f"{base}/")
                if status == 200:
                    break
            time.sleep(0.3)
        assert status == 200, process.stderr.read() if process.poll() is not None else status
        for name in ("style.css", "map.js"):
            assert _get(f"{base}/assets/{name}") == 200
        assert _get(f"{base}/assets/no-such-file.css") == 404
    finally:
        process.terminate()
        process.wait(timeout=10)
