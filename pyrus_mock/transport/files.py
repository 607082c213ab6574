"""Writing into a state directory without following symlinks (``serve``, ``check``, the CA).

A file is written to a new temporary name in the same directory, opened with
``O_CREAT | O_EXCL | O_NOFOLLOW`` (so nothing planted there, link or file, is ever opened), then
moved over the target with ``os.replace``, which replaces a symlink at the target rather than
writing through it. Readers see the old file, none, or all of the new one. Files holding secrets
(keys, the admin token, ``server.json``) get mode 0600; a directory made here gets 0700.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["make_private_dir", "write_atomic"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where O_EXCL already refuses links
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents) with mode 0700; an existing directory is kept as
    it is (it may be the user's own, shared on purpose). Returns the path.

    Raises:
        OSError: it cannot be made, or exists and is not a directory.
    """
    target = Path(path)
    try:
        target.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        if not target.is_dir():
            raise
        return target
    os.chmod(target, 0o700)  # mkdir's mode is masked by the umask, which may drop too little
    return target


def write_atomic(path: str | os.PathLike[str], data: bytes | str, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` (text is UTF-8), with permission bits ``mode``.

    Never follows a symlink at ``path`` or at the temporary name: a planted link is replaced by
    the new file and the file it pointed to stays as it was.

    Raises:
        OSError: the directory cannot be written.
    """
    target = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    temporary = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    fd = os.open(temporary, flags, mode)
    try:
        try:
            os.fchmod(fd, mode)  # O_CREAT's mode is masked by the umask
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
