"""Every decision about a pseudonym uses the check that runs before anything is sent.

`privacy.Identities.find` blocks a title holding any client's name part, email local part,
phone number, note or contact route (look-alike letters included); a pseudonym the store
accepts, draws or keeps after a rotation must pass it, or every sync would stop (exit 8).
The CLI runs as a real subprocess; synthetic names only.
"""
from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from practice import Practice
from pseudocal.cli import main as pseudocal_cli
from pseudocal.crypto import generate_key
from pseudocal.errors import InputError
from pseudocal.identity import naming, privacy, pseudonyms
from pseudocal.identity.wordlists import ADJECTIVES, NOUNS
from pseudocal.models import ClientIdentity
from pseudocal.store import Store

CYRILLIC_A = "\u0430"


def cli(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The real CLI's entry point, in-process (a subprocess per call would cost a second
    of start-up each); its exit status, standard output and standard error."""
    out, err, saved = io.StringIO(), io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = pseudocal_cli.main([*args, "--config", str(config)])
    except SystemExit as exc:  # a usage error, from argparse
        code = exc.code
    finally:
        sys.stdin = saved
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def listing(config: Path) -> dict[str, str]:
    done = cli(config, "client", "list", "--json")
    assert done.returncode == 0, done.stderr
    return {c["name"]: c["pseudonym"] for c in json.loads(done.stdout)["clients"]}


@pytest.fixture(scope="module")
def made_once(tmp_path_factory) -> Path:
    """A store with clients Will, Rose and James (and an email, a phone, a note), made
    once through the real CLI; each test gets a copy (`config`)."""
    p = Practice(tmp_path_factory.mktemp("choice"), "http://127.0.0.1:9/practitioner/practice/")
    p.write_config()
    assert cli(p.config, "init").returncode == 0
    for doc, pseudonym in (({"name": "Will Tester"}, "Rapid Stickleback"),
                           ({"name": "Rose Sample", "email": "kestrel@example.org"},
                            "Amber Falcon"),
                           ({"name": "James Example", "phone": "+44 7700 900461",
                             "notes": "lantern"}, "Silver Maple")):
        added = cli(p.config, "client", "add", "--pseudonym", pseudonym, stdin=json.dumps(doc))
        assert added.returncode == 0, added.stderr
    return p.root


@pytest.fixture
def config(made_once, tmp_path) -> Path:
    """A copy of `made_once` of this test's own (the config's paths pointed at the copy)."""
    root = tmp_path / "practice"
    shutil.copytree(made_once, root)
    path = root / "config.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(str(made_once), str(root)),
                    encoding="utf-8")
    return path


BEFORE = {"Will Tester": "Rapid Stickleback", "Rose Sample": "Amber Falcon",
          "James Example": "Silver Maple"}


@pytest.mark.parametrize("chosen, other", [  # other: a client it does not name, to rename
    ("WiII Falcon", "Silver Maple"),  # capital I twice for ll: Will
    ("R0se Falcon", "Silver Maple"),  # zero for o: Rose
    ("Jarnes Falcon", "Rapid Stickleback"),  # rn for m: James
    ("Kestrel Lantern", "Silver Maple"),  # Rose's email local part
    ("Quiet Lantern", "Rapid Stickleback"),  # James's note, whole
])
def test_a_chosen_pseudonym_the_check_before_sending_would_block_is_refused(config, chosen,
                                                                          other):
    said = []
    for how in ("option", "document", "rename"):
        if how == "option":
            done = cli(config, "client", "add", "--pseudonym", chosen,
                       stdin='{"name": "Test Person Four"}')
        elif how == "document":
            done = cli(config, "client", "add",
                       stdin=json.dumps({"name": "Test Person Four", "pseudonym": chosen}))
        else:
            done = cli(config, "client", "rename", other, chosen)
        assert done.returncode == 9, (how, done.stdout + done.stderr)
        assert "the chosen pseudonym contains a client's" in done.stderr, done.stderr
        assert chosen.split()[0] not in done.stdout + done.stderr  # never repeated
        said.append(done.stderr)
    assert "shell history" in said[0] and "shell history" in said[2]  # typed as an argument
    assert "shell history" not in said[1]  # came on standard input
    assert listing(config) == BEFORE  # nothing stored, nothing renamed


def test_a_look_alike_of_a_pseudonym_in_use_is_refused(config):
    look_alike = f"R{CYRILLIC_A}pid Stickleback"
    added = cli(config, "client", "add", "--pseudonym", look_alike,
                stdin='{"name": "Test Person Four"}')
    assert added.returncode == 9 and "looks like one already in use" in added.stderr
    renamed = cli(config, "client", "rename", "Silver Maple", look_alike)
    assert renamed.returncode == 9 and "looks like one already in use" in renamed.stderr
    same = cli(config, "client", "add", "--pseudonym", "rapid  STICKLEBACK",
               stdin='{"name": "Test Person Four"}')
    assert same.returncode == 9 and "already in use" in same.stderr
    assert listing(config) == BEFORE
    # control: an unrelated pseudonym passes, and a client may respell its own
    assert cli(config, "client", "add", "--pseudonym", "Copper Otter",
               stdin='{"name": "Test Person Four"}').returncode == 0
    assert cli(config, "client", "rename", "Rapid Stickleback", "rapid stickleback"
               ).returncode == 0


def test_a_pseudonym_typed_as_a_real_name_says_where_it_went(config):
    for command in (("show", "Kit Tester"), ("edit", "Kit Tester"), ("rotate", "Will Tester")):
        done = cli(config, "client", *command, stdin='notes = "x"\n')
        said = done.stdout + done.stderr
        assert done.returncode == 9, said
        assert "no client has the pseudonym given" in said
        assert "shell history" in said and "process list" in said
        assert "Kit" not in said and "Will" not in said


# ---------------------------------------------------------------- drawing and rotating


def _blocking_identities(share: float, seed: int) -> list[ClientIdentity]:
    """Clients whose emails and notes hold about `share` of the adjectives and nouns:
    name-only rules would draw blocked pseudonyms often."""
    rng = random.Random(seed)
    words = [w for w in ADJECTIVES + NOUNS if rng.random() < share]
    return [ClientIdentity(name=f"Test Person {i}", email=f"{a.lower()}@example.org",
                           notes=b.lower())
            for i, (a, b) in enumerate(zip(words[::2], words[1::2], strict=False))]


def test_a_drawn_pseudonym_always_passes_the_check_before_sending():
    others = _blocking_identities(0.5, seed=7)
    new = ClientIdentity(name="Test Person New")
    everyone = privacy.Identities.of([new, *others])
    draws = [naming.choose_pseudonym(new, others, set(), None) for _ in range(150)]
    assert all(everyone.find(p) is None for p in draws)
    # control: drawing against names alone (the old rule) often gives a blocked one
    names = " ".join(i.name for i in [new, *others])
    raw = [pseudonyms.draw(names, set()) for _ in range(150)]
    assert sum(everyone.find(p) is not None for p in raw) > 30


def test_a_drawn_pseudonym_is_unlike_every_taken_and_retired_one():
    new = ClientIdentity(name="Test Person New")
    taken = {f"{a} {n}" for a in ADJECTIVES for n in NOUNS[:-1]}  # every pair but one noun
    drawn = {naming.choose_pseudonym(new, [], taken, None) for _ in range(10)}
    assert all(p.endswith(" " + NOUNS[-1]) for p in drawn)
    again = [naming.choose_pseudonym(new, [], taken, None, retired=drawn.__contains__)
             for _ in range(5)]
    assert not set(again) & drawn


@pytest.fixture
def store(tmp_path):
    with Store.create(tmp_path / "store.db", generate_key()) as opened:
        yield opened


def test_adding_a_client_rotates_each_pseudonym_its_identity_would_block(store):
    alpha, _ = naming.add_client(store, ClientIdentity("Test Person Alpha"), "Quiet Heron",
                                  None)
    beta, _ = naming.add_client(store, ClientIdentity("Test Person Beta"), "Calm Otter", None)
    gamma, _ = naming.add_client(store, ClientIdentity("Test Person Gamma"), "Brisk Wren",
                                  None)
    new, rotations = naming.add_client(
        store, ClientIdentity("Test Person Delta", email="o.t.t.e.r@example.org",
                              phone="+44 7700 900123", notes="quiet"), None, None)
    assert {r.old for r in rotations} == {"Quiet Heron", "Calm Otter"}  # note; email
    everyone = privacy.Identities.of(store.identities())
    assert all(everyone.find(p) is None for p in store.pseudonyms())
    assert store.find_client("Brisk Wren").id == gamma.id  # nothing blocks it: kept
    for rotation in rotations:  # the old pseudonym still finds its client, by blind index
        assert store.retired_owner(rotation.old) == rotation.client_id
        assert store.find_client(rotation.old) is None
    edited, more = naming.edit_client(store, store.get_client(new.id),
                                       ClientIdentity("Test Person Delta", notes="brisk"),
                                       None)
    assert [r.old for r in more] == ["Brisk Wren"] and edited.pseudonym == new.pseudonym


def test_a_retired_pseudonym_is_never_given_to_another_client(store):
    alpha = store.add_client(ClientIdentity("Test Person Alpha"), "Quiet Heron")
    store.rename_client(alpha.id, "Calm Otter")
    assert store.retired_owner("quiet  heron") == alpha.id
    with pytest.raises(InputError, match="already in use"):
        store.add_client(ClientIdentity("Test Person Beta"), "Quiet Heron")
    beta = store.add_client(ClientIdentity("Test Person Beta"), "Brisk Wren")
    with pytest.raises(InputError, match="already in use"):
        store.rename_client(beta.id, "Quiet Heron")
    with pytest.raises(InputError, match="another client's"):
        naming.choose_pseudonym(beta.identity, [alpha.identity], {"Calm Otter"},
                                 "Quiet Heron",
                                 retired=naming.retired_for_others(store, beta.id))
    store.rename_client(alpha.id, "Quiet Heron")  # its own, taken back
    assert store.retired_owner("Quiet Heron") is None
    assert store.retired_owner("Calm Otter") == alpha.id
    store.forget_client(alpha.id)
    assert store.retired_owner("Calm Otter") is None  # forgotten with the client


def test_the_retired_table_holds_no_pseudonym_text(store, tmp_path):
    alpha = store.add_client(ClientIdentity("Test Person Alpha"), "Quiet Heron")
    store.rename_client(alpha.id, "Calm Otter")
    conn = sqlite3.connect(tmp_path / "store.db")
    rows = conn.execute("SELECT * FROM retired_pseudonyms").fetchall()
    conn.close()
    assert len(rows) == 1 and rows[0][1] == alpha.id
    assert b"quiet" not in b"".join(v if isinstance(v, bytes) else str(v).encode()
                                    for v in rows[0]).lower()


@pytest.mark.parametrize("version", [1, 2])
def test_a_store_from_before_the_table_gains_it_once_its_key_is_proven(tmp_path, version):
    key, path = generate_key(), tmp_path / "old.db"
    with Store.create(path, key) as made:
        alpha = made.add_client(ClientIdentity("Test Person Alpha"), "Quiet Heron")
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE retired_pseudonyms")
    if version == 1:
        conn.execute("ALTER TABLE clients DROP COLUMN contact_ct")
        conn.execute("ALTER TABLE clients DROP COLUMN phone_e164_ct")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                 (str(version).encode(),))
    conn.commit()
    conn.close()
    with Store.open(path, key) as opened:
        opened.rename_client(alpha.id, "Calm Otter")
        assert opened.retired_owner("Quiet Heron") == alpha.id
