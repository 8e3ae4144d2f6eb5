"""Atomic writes: complete files or none, with the permissions an ordinary write would give."""

import os
import stat

import pytest

from layers._atomic import atomic_directory, atomic_write_bytes, atomic_write_text


@pytest.fixture
def umask_022():
    """Run with the usual umask 022 and restore the previous one."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_written_file_is_world_readable_under_the_usual_umask(tmp_path, umask_022) -> None:
    path = atomic_write_text(tmp_path / "a.csv", "x\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "x\n"


def test_written_file_follows_a_stricter_umask(tmp_path) -> None:
    old = os.umask(0o077)
    try:
        path = atomic_write_bytes(tmp_path / "b.bin", b"1")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_built_folder_is_world_readable(tmp_path, umask_022) -> None:
    with atomic_directory(tmp_path / "out") as staging:
        (staging / "f.txt").write_text("y")
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path) -> None:
    target = tmp_path / "c.txt"
    target.write_text("old")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), atomic_directory(tmp_path / "d"):
        raise Boom
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]
