"""Files written into a state directory never follow a planted symlink; secrets are 0600 and a
directory made by the fake is 0700 (issue 12, item 6)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pyrus_mock.transport.files import make_private_dir, write_atomic
from pyrus_mock.transport.tls import CertificateAuthority

from .test_serve import _serving

SECRET_FILES = ("admin-token", "server.json", "server-key.pem")
ALL_FILES = (*SECRET_FILES, "ca.pem", "server.pem")


def _plant(directory: Path, names: tuple[str, ...], outside: Path) -> dict[str, Path]:
    """A symlink at each of ``names`` in ``directory`` to its own file under ``outside``."""
    targets = {}
    for name in names:
        target = outside / f"victim-{name}"
        target.write_text(f"do not touch {name}\n")
        target.chmod(0o644)
        (directory / name).symlink_to(target)
        targets[name] = target
    return targets


def _untouched(targets: dict[str, Path]) -> None:
    for name, target in targets.items():
        assert target.read_text() == f"do not touch {name}\n", name
        assert stat.S_IMODE(target.stat().st_mode) == 0o644, name


def _mode(path: Path) -> int:
    info = path.lstat()
    assert stat.S_ISREG(info.st_mode), f"{path} is not a regular file"
    return stat.S_IMODE(info.st_mode)


def test_write_atomic_replaces_a_planted_symlink_instead_of_following_it(tmp_path: Path) -> None:
    inside, outside = tmp_path / "state", tmp_path / "outside"
    inside.mkdir()
    outside.mkdir()
    targets = _plant(inside, ("secret",), outside)
    write_atomic(inside / "secret", "s3cr3t\n")
    _untouched(targets)
    assert (inside / "secret").read_text() == "s3cr3t\n"
    assert _mode(inside / "secret") == 0o600
    assert sorted(p.name for p in inside.iterdir()) == ["secret"]  # no temporary left


def test_write_atomic_applies_the_mode_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_atomic(tmp_path / "key", b"k")
        write_atomic(tmp_path / "public", b"p", 0o644)
    finally:
        os.umask(old)
    assert (_mode(tmp_path / "key"), _mode(tmp_path / "public")) == (0o600, 0o644)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "f").write_text("old")

    def refuse(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        write_atomic(tmp_path / "f", "new")
    assert [p.name for p in tmp_path.iterdir()] == ["f"]
    assert (tmp_path / "f").read_text() == "old"


def test_a_directory_made_here_is_private_and_an_existing_one_is_kept(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        made = make_private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    make_private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # the user's own directory, as it was
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        make_private_dir(tmp_path / "file")


def test_serve_never_writes_through_symlinks_in_its_state_dir(tmp_path: Path) -> None:
    state, outside = tmp_path / "state", tmp_path / "outside"
    state.mkdir()
    outside.mkdir()
    targets = _plant(state, ALL_FILES, outside)
    with _serving(state_dir=state) as (info, _out, _err, _result):
        _untouched(targets)
        for name in SECRET_FILES:
            assert _mode(state / name) == 0o600, name
        for name in ("ca.pem", "server.pem"):
            assert _mode(state / name) == 0o644, name
        assert (state / "admin-token").read_text().strip() == info["Admin token"]
        assert sorted(p.name for p in state.iterdir()) == sorted(ALL_FILES)
    _untouched(targets)


def test_serve_makes_a_missing_state_dir_private(tmp_path: Path) -> None:
    state = tmp_path / "new" / "state"
    with _serving(state_dir=state):
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        for name in SECRET_FILES:
            assert _mode(state / name) == 0o600, name


def test_the_ca_writes_its_files_without_following_symlinks(tmp_path: Path) -> None:
    state, outside = tmp_path / "state", tmp_path / "outside"
    state.mkdir()
    outside.mkdir()
    targets = _plant(state, ("ca.pem", "server.pem", "server-key.pem"), outside)
    with CertificateAuthority() as ca:
        paths = ca.write_to_dir(state)
    _untouched(targets)
    assert _mode(Path(paths["key"])) == 0o600
    assert Path(paths["key"]).read_bytes().startswith(b"-----BEGIN")
