"""The SQLite file: engine, transactions, health checks and errors.

Opening never creates or repairs anything: the file is connected with
`mode=rw`, its header is checked before SQLite reads it, and every SQLite
failure becomes a StoreError that names the file and a next step.
"""
from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import QueuePool

from ..errors import AlreadyExists, PseudocalError, StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
PRAGMAS = (
    "busy_timeout=5000",
    "journal_mode=WAL",
    "synchronous=FULL",
    "foreign_keys=ON",
    "secure_delete=ON",
)
_BEGIN_OPTION = "pseudocal_begin"

# ---------------------------------------------------------------- messages


def missing(path: Path) -> StoreError:
    return StoreError(f"no store at {path}", where=str(path),
                      next_step="run `pseudocal init` to create one, or fix store.path "
                                "in the config")


def damaged(path: Path) -> StoreError:
    return StoreError(f"the store {path} is damaged (truncated or corrupt)", where=str(path),
                      next_step="restore it from a backup; pseudocal will not overwrite it")


def not_a_store(path: Path) -> StoreError:
    return StoreError(f"{path} is an SQLite database but not a pseudocal store",
                      where=str(path),
                      next_step="check store.path in the config; pseudocal will not "
                                "change this file")


_ACCESS_STEP = ("check that the file and its directory belong to the user pseudocal "
                "runs as and are readable and writable by it")


def translate(exc: BaseException, path: Path) -> StoreError:
    """A StoreError for an SQLite failure; never echoes SQLite's message text."""
    err = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    code = (getattr(err, "sqlite_errorcode", None) or 0) & 0xFF
    name = getattr(err, "sqlite_errorname", None) or type(err).__name__
    if code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return damaged(path)
    if code in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
        return StoreError(f"the store {path} is locked by another process", where=str(path),
                          next_step="wait for the other pseudocal command to finish, "
                                    "then try again")
    if code in (3, 8, 14, 23):  # PERM, READONLY, CANTOPEN, AUTH
        return StoreError(f"cannot open the store {path} ({name})", where=str(path),
                          next_step=_ACCESS_STEP)
    if code == 13:  # SQLITE_FULL
        return StoreError(f"the disk holding {path} is full", where=str(path),
                          next_step="free some space, then try again")
    return StoreError(f"the store {path} failed ({name})", where=str(path),
                      next_step="run `pseudocal check`; if this persists, restore the store "
                                "from a backup")

# ---------------------------------------------------------------- files


def sidecars(path: Path) -> list[Path]:
    """SQLite's companion files for `path`."""
    return [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal")]


def _wal_in_use(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def create_file(path: Path) -> None:
    """Create an empty file (mode 0600, parents 0700); AlreadyExists if any is there."""
    leftovers = (Path(f"{path}-wal"), Path(f"{path}-journal"))
    if path.exists() or path.is_symlink() or any(p.exists() for p in leftovers):
        raise AlreadyExists(f"a store already exists at {path}", where=str(path),
                            next_step="pseudocal never overwrites a store: use it, or "
                                      "move it away yourself first")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise AlreadyExists(f"a store already exists at {path}", where=str(path)) from None
    os.fchmod(fd, 0o600)
    os.close(fd)


def remove_files(path: Path) -> None:
    """Delete a store this process has just created and failed to finish."""
    for file in (path, *sidecars(path)):
        file.unlink(missing_ok=True)


def precheck(path: Path) -> None:
    """Fail early, before SQLite reads it, on a missing or visibly damaged file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise missing(path) from None
    except OSError as exc:
        raise StoreError(f"cannot reach the store {path} ({exc.strerror})",
                         where=str(path), next_step=_ACCESS_STEP) from None
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path} is not a regular file", where=str(path),
                         next_step="check store.path in the config")
    header = _read_header(path)
    if _wal_in_use(path):  # a crash left a WAL: SQLite recovers; only the magic is ours
        if header and not header.startswith(SQLITE_MAGIC[:len(header)]):
            raise damaged(path)
        return
    if not _header_fits(header, info.st_size):
        raise damaged(path)


def _read_header(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(HEADER_BYTES)
    except OSError as exc:
        raise StoreError(f"cannot read the store {path} ({exc.strerror})",
                         where=str(path), next_step=_ACCESS_STEP) from None


def _header_fits(header: bytes, size: int) -> bool:
    """True when the header is SQLite's and the file holds every page it counts."""
    if len(header) < HEADER_BYTES or not header.startswith(SQLITE_MAGIC):
        return False
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1) or size % page_size:
        return False
    pages = int.from_bytes(header[28:32], "big")
    counted = header[24:28] == header[92:96] and pages > 0
    return not counted or pages * page_size <= size

# ---------------------------------------------------------------- engine


def _uri(path: Path) -> str:
    """A URI that opens an existing file read-write and never creates one."""
    return f"file:{quote(str(path.absolute()))}?mode=rw"


def make_engine(path: Path) -> Engine:
    """An engine that can only open an existing file, with our pragmas."""
    uri = _uri(path)

    def creator() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)

    engine = create_engine("sqlite://", creator=creator, poolclass=QueuePool,
                           pool_size=2, max_overflow=4)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}").fetchall()
    finally:
        cursor.close()


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


@contextmanager
def transaction(engine: Engine, path: Path, *, write: bool = False) -> Iterator[Connection]:
    """One short transaction; writers take the write lock up front."""
    begin = "BEGIN IMMEDIATE" if write else "BEGIN"
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_BEGIN_OPTION: begin})
            with conn.begin():
                yield conn
    except (PseudocalError, sa_exc.IntegrityError):
        raise
    except (sa_exc.DBAPIError, sqlite3.Error) as exc:
        raise translate(exc, path) from exc


def inspect(path: Path) -> tuple[set[str], dict[str, bytes]]:
    """Table names and `meta` rows, read without writing anything (query_only).

    Runs before any engine exists, so no pragma (journal_mode) touches a file
    that has not been checked yet.
    """
    try:
        conn = sqlite3.connect(_uri(path), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc
    try:
        return _inspect(conn, path)
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection, path: Path) -> tuple[set[str], dict[str, bytes]]:
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA query_only=ON")
    conn.execute("BEGIN")
    if conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
        raise damaged(path)
    query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    tables = {name for (name,) in conn.execute(query)}
    meta = dict(conn.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
    conn.execute("COMMIT")
    return tables, meta


def _driver(raw) -> sqlite3.Connection:
    """The sqlite3 connection under a pooled SQLAlchemy one (pysqlite always has one)."""
    conn = raw.driver_connection
    if conn is None:
        raise sqlite3.InterfaceError("the pooled connection has no sqlite3 connection")
    return conn


def checkpoint(engine: Engine, path: Path) -> None:
    """Fold the WAL into the main file and empty it (skipped while others read)."""
    try:
        raw = engine.raw_connection()
        try:
            _driver(raw).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            raw.close()
    except (sa_exc.DBAPIError, sqlite3.Error) as exc:
        raise translate(exc, path) from exc


def backup(engine: Engine, path: Path, dest: Path) -> None:
    """Copy the live store to a new file `dest` with SQLite's backup API."""
    create_file(dest)
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(dest)
        try:
            _driver(raw).backup(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        remove_files(dest)
        raise translate(exc, path) from exc
    finally:
        raw.close()


def upgrade(path: Path, columns: tuple[str, ...], version: int,
            tables: tuple[str, ...] | list[str] = ()) -> None:
    """Add nullable `clients` columns and the missing tables (`tables`: CREATE TABLE IF
    NOT EXISTS statements), and set the schema version, in one transaction.

    Additive only: every existing byte stays as it was, and an interrupted upgrade
    leaves the old version (SQLite rolls the transaction back)."""
    try:
        conn = sqlite3.connect(_uri(path), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("BEGIN IMMEDIATE")
        present = {row[1] for row in conn.execute("PRAGMA table_info(clients)")}
        for column in columns:
            if column not in present:
                conn.execute(f"ALTER TABLE clients ADD COLUMN {column} BLOB")
        for statement in tables:
            conn.execute(statement)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                     (str(version).encode("ascii"),))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.rollback()
        raise translate(exc, path) from exc
    finally:
        conn.close()
