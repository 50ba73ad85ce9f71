"""`pseudocal key rotate`: a new master key, the store re-wrapped under it."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import AlreadyExists
from .cmd_service import one_daemon
from .output import emit


def register(sub, common) -> None:
    key = sub.add_parser("key", help="the master key")
    ksub = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    p = ksub.add_parser("rotate", parents=[common],
                        help="draw a new master key and re-wrap the store under it "
                             "(stop the daemon first)")
    p.add_argument("--new-key-file", type=Path,
                   help="write the new key here instead of replacing the key file (for a "
                        "key kept as a systemd credential); the file must not exist")
    p.set_defaults(handler=cmd_key_rotate)


def cmd_key_rotate(args) -> int:
    """New key written first, store re-wrapped in one transaction, then the key file swapped."""
    from .. import crypto
    from ..service import app
    settings = app.load_settings(args.config)
    key_file = settings.store.key_file
    target = args.new_key_file or key_file.with_name(key_file.name + ".new")
    with one_daemon(settings.store.path), app.open_store(settings) as store:
        if target.exists():
            raise AlreadyExists(f"{target} already exists", where=str(target),
                                next_step="if an earlier rotation was interrupted, see "
                                          "`pseudocal check`; else move the file away")
        new = crypto.generate_key()
        crypto.write_key_file(target, new)
        store.rotate_master_key(new)
    if args.new_key_file is None:
        os.replace(target, key_file)
    emit(args, {"key_file": str(args.new_key_file or key_file), "store": str(store.path)},
         _rotated_text(key_file, args.new_key_file))
    return 0


def _rotated_text(key_file: Path, new_file: Path | None) -> str:
    done = "the store now opens with the new key only; back the new key up now"
    if new_file is None:
        return (f"rotated: {key_file} holds a new master key; {done}.\n"
                "Backups of the store made before now still need the old key.")
    return (f"rotated: the new master key is in {new_file}; {done}.\n"
            "Replace the service's credential with it, then delete the plain file:\n"
            f"  systemd-creds encrypt --name=store-key {new_file} /etc/pseudocal/store-key.cred\n"
            f"  shred -u {new_file}\n  systemctl start pseudocal")
