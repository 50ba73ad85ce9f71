"""Test helpers: a practitioner's files (config, key, store) around a real server."""
from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pseudocal.cli import main


@dataclass
class Session:
    client: str
    start: str  # TOML local datetime
    duration: str = "50m"
    repeat: str = "weekly"
    extra: str = ""  # more TOML lines

    def toml(self) -> str:
        return (f'[[sessions]]\nclient = "{self.client}"\nstart = {self.start}\n'
                f'duration = "{self.duration}"\nrepeat = "{self.repeat}"\n{self.extra}\n')


@dataclass
class Practice:
    """A config file + state directory; `run` calls the real CLI in-process."""
    root: Path
    calendar_url: str
    sessions: list[Session] = field(default_factory=list)
    header_extra: str = ""
    calendar_extra: str = ""  # more TOML after [calendar]: e.g. [calendars.selfcare]
    profile: str | None = "radicale"  # the config's `server =` (None: pseudocal's generic one)

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def write_config(self) -> Path:
        state = self.root / "state"
        text = (f'timezone = "Europe/London"\n{self.header_extra}\n'
                f'[calendar]\nurl = "{self.calendar_url}"\n'
                + (f'server = "{self.profile}"\n' if self.profile else "") + "\n"
                + f'{self.calendar_extra}'
                f'[store]\npath = "{state / "store.db"}"\nkey_file = "{state / "store-key"}"\n\n'
                f'[sync]\nhorizon = "52w"\nkeep_past = "30d"\n\n'
                + "".join(s.toml() for s in self.sessions))
        self.config.write_text(text, encoding="utf-8")
        return self.config

    def run(self, *argv: str, stdin: str | None = None) -> int:
        """The CLI in-process; `stdin` is what it reads on standard input (not a terminal)."""
        self.write_config()
        saved = sys.stdin
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        try:
            return main.main([*argv, "--config", str(self.config)])
        finally:
            sys.stdin = saved

    def add_client(self, name: str, capsys, *opts: str, **fields: str) -> str:
        """`client add` with the identity as a JSON document on standard input, never as
        arguments; sessions of a pseudonym it rotates follow, as the config file did."""
        capsys.readouterr()
        code = self.run("client", "add", *opts, "--json",
                        stdin=json.dumps({"name": name, **fields}))
        assert code == 0
        doc = json.loads(capsys.readouterr().out)
        for rotated in doc["rotated"]:
            for session in self.sessions:
                if session.client == rotated["old"]:
                    session.client = rotated["pseudonym"]
        return doc["pseudonym"]
