"""Client identity comes in through a prompt or standard input, never through arguments,
and goes out to a terminal escaped. The real `pseudocal` command, in subprocesses and
through a real pseudo-terminal."""
from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from pseudocal import crypto
from pseudocal.cli import identity_input, terminal
from pseudocal.errors import InputError
from pseudocal.models import ClientIdentity
from pseudocal.store import Store

PSEUDOCAL = Path(sys.executable).with_name("pseudocal")
SYSTEMD_VARS = ("CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                "PSEUDOCAL_CONFIG")
ESC, RLO = "\x1b", "\u202e"


def environment() -> dict:
    return {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}


class Practice:
    """A config file, a key and a store in tmp_path; no server is contacted."""

    def __init__(self, root: Path, sessions: str = "") -> None:
        self.root = root
        self.config = root / "config.toml"
        self.store_path, self.key_path = root / "store.db", root / "store-key"
        self.config.write_text(
            f'timezone = "Europe/London"\n\n[calendar]\nurl = "http://127.0.0.1:9/c/"\n\n'
            f'[store]\npath = "{self.store_path}"\nkey_file = "{self.key_path}"\n\n'
            f'[sync]\nhorizon = "52w"\n\n{sessions}', encoding="utf-8")

    def run(self, *args: str, stdin: str | None = "", timeout: float = 60
            ) -> subprocess.CompletedProcess:
        return subprocess.run([str(PSEUDOCAL), *args, "--config", str(self.config)],
                              input=stdin, capture_output=True, text=True, env=environment(),
                              timeout=timeout)

    def count(self) -> int:
        with sqlite3.connect(self.store_path) as db:
            return db.execute("SELECT count(*) FROM clients").fetchone()[0]

    def store(self) -> Store:
        return Store.open(self.store_path, crypto.load_key_file(self.key_path))

    def client(self, pseudonym: str):
        with self.store() as store:
            return store.find_client(pseudonym)


@pytest.fixture
def practice(tmp_path) -> Practice:
    """Key, store and one client, made in-process (fast); the tests run the real command."""
    assert PSEUDOCAL.exists(), f"{PSEUDOCAL} is missing: make venv"
    p = Practice(tmp_path)
    crypto.write_key_file(p.key_path, crypto.generate_key())
    with Store.create(p.store_path, crypto.load_key_file(p.key_path)) as store:
        store.add_client(ClientIdentity("Test Person Alpha", email="alpha@example.org"),
                         "Amber Falcon")
    return p


def test_init_then_add_through_the_command(tmp_path):
    p = Practice(tmp_path)
    assert p.run("init").returncode == 0
    added = p.run("client", "add", "--pseudonym", "Amber Falcon",
                  stdin='{"name": "Test Person Alpha", "email": "alpha@example.org"}')
    assert added.returncode == 0, added.stderr
    assert p.client("Amber Falcon").identity.email == "alpha@example.org"


# ---------------------------------------------------------------- arguments are refused

SECRETS = ("Jane Example", "x@y.z", "7700 900123", "private note", "via Signal")


@pytest.mark.parametrize("argv", [
    ["client", "add", "Jane Example"],
    ["client", "add", "-", "--email", "x@y.z"],
    ["client", "add", "--email=x@y.z"],
    ["client", "add", "--phone", "+44 7700 900123"],
    ["client", "add", "--notes", "private note"],
    ["client", "add", "--contact", "via Signal"],
    ["client", "add", "--country", "GB"],
    ["client", "add", "--timezone", "Europe/Paris"],
    ["client", "add", "--name", "Jane Example", "--json"],
    ["client", "add", "--pseudonym", "Quiet Heron", "Jane Example"],
    ["client", "edit", "Amber Falcon", "--email", "x@y.z"],
    ["client", "edit", "Amber Falcon", "Jane Example"],
])
def test_identity_given_as_arguments_is_refused_and_nothing_is_stored(practice, argv):
    before = practice.count()
    # a valid document on standard input too: the arguments alone cause the refusal
    done = practice.run(*argv, stdin='{"name": "Jane Example"}')
    assert done.returncode == 9, done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert "shell history" in out and "/proc/PID/cmdline" in out
    assert "standard input" in out  # says how to do it instead
    assert not any(secret in out for secret in SECRETS), out
    assert practice.count() == before
    alpha = practice.client("Amber Falcon").identity
    assert (alpha.name, alpha.email) == ("Test Person Alpha", "alpha@example.org")


def test_a_refusal_in_json_mode_is_one_document_without_the_values(practice):
    done = practice.run("client", "add", "--json", "--email", "x@y.z")
    assert done.returncode == 9
    doc = json.loads(done.stdout)
    assert doc["exit_code"] == 9 and "--email" in doc["message"]
    assert "x@y.z" not in done.stdout + done.stderr


def test_unknown_arguments_are_not_echoed_by_argparse_either(practice):
    done = practice.run("client", "add", "--jsn", "Jane Example")
    assert done.returncode == 9 and "Jane" not in done.stdout + done.stderr


# ---------------------------------------------------------------- standard input


def test_a_json_document_on_standard_input_adds_a_client(practice):
    doc = {"name": "Test Person Beta", "email": "beta@example.org", "phone": "07700 900123",
           "country": "GB", "timezone": "America/New_York", "contact": "the video chat",
           "notes": "prefers mornings"}
    done = practice.run("client", "add", "--json", stdin=json.dumps(doc))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["rotated"] == [] and result["phone_parsed"] is True
    client = practice.client(result["pseudonym"])
    ident = client.identity
    assert {k: getattr(ident, k) for k in doc} == doc
    assert ident.phone_e164 == "+447700900123"
    assert "Beta" not in done.stdout + done.stderr


def test_a_toml_document_on_standard_input_adds_a_client_with_its_pseudonym(practice):
    toml = ('# one client\nname = "Test Person Gamma"\nphone = "+1 202 555 0147"\n'
            'pseudonym = "Silver Maple"\n')
    done = practice.run("client", "add", stdin=toml)
    assert done.returncode == 0, done.stderr
    assert "added a client as Silver Maple" in done.stdout
    assert 'client = "Silver Maple"' in done.stdout
    ident = practice.client("Silver Maple").identity
    assert ident.name == "Test Person Gamma" and ident.phone_e164 == "+12025550147"
    assert practice.run("client", "add", "-", stdin='name = "Test Person Delta"').returncode == 0
    assert practice.count() == 3


@pytest.mark.parametrize("document, field", [
    ('{"name": "Test \\u001b[31mPerson"}', "name"),
    ('{"name": "Test Person\\u202e"}', "name"),
    ('{"name": "Test\\u2066Person\\u2069"}', "name"),
    ('{"name": "Test\\u200bPerson"}', "name"),
    ('{"name": "Test\\u00adPerson"}', "name"),
    ('{"name": "Test Person", "notes": "line one\\nline two"}', "notes"),
    ('{"name": "Test Person", "email": "a\\tb@example.org"}', "email"),
    ('{"name": "Test Person", "phone": "+44\\u00077700"}', "phone"),
    ('{"name": "Test Person", "contact": "\\u001b]0;title\\u0007"}', "contact"),
    ('{"name": "Test Person", "country": "G\\u200dB"}', "country"),
    ('{"name": "Test Person", "timezone": "Europe/\\u202eLondon"}', "timezone"),
    ('name = "Test\\u001bPerson"', "name"),
])
def test_control_escape_and_bidi_characters_are_refused_naming_the_field(
        practice, document, field):
    before = practice.count()
    done = practice.run("client", "add", stdin=document)
    assert done.returncode == 9, done.stdout + done.stderr
    assert f"{field}: contains a control character" in done.stderr
    assert "Person" not in done.stdout + done.stderr
    assert ESC not in done.stderr and RLO not in done.stderr
    assert practice.count() == before


# Characters that show nothing, or a blank other than the ordinary space: each would make
# two different values look alike (or hide a name's parts from a reader). Unicode's
# default-ignorables, the other space separators (Zs), and the blank braille pattern.
INVISIBLE = {
    "HANGUL CHOSEONG FILLER": "\u115f", "HANGUL JUNGSEONG FILLER": "\u1160",
    "HANGUL FILLER": "\u3164", "HALFWIDTH HANGUL FILLER": "\uffa0",
    "COMBINING GRAPHEME JOINER": "\u034f", "VARIATION SELECTOR-1": "\ufe00",
    "VARIATION SELECTOR-16": "\ufe0f", "VARIATION SELECTOR-17": "\U000e0100",
    "VARIATION SELECTOR-256": "\U000e01ef", "MONGOLIAN FREE VARIATION SELECTOR ONE": "\u180b",
    "MONGOLIAN FREE VARIATION SELECTOR FOUR": "\u180f", "MONGOLIAN VOWEL SEPARATOR": "\u180e",
    "KHMER VOWEL INHERENT AQ": "\u17b4", "KHMER VOWEL INHERENT AA": "\u17b5",
    "WORD JOINER": "\u2060", "INVISIBLE TIMES": "\u2062", "(reserved U+2065)": "\u2065",
    "NOMINAL DIGIT SHAPES": "\u206f", "ZERO WIDTH NO-BREAK SPACE": "\ufeff",
    "ARABIC LETTER MARK": "\u061c", "TAG LATIN SMALL LETTER A": "\U000e0061",
    "IDEOGRAPHIC SPACE": "\u3000", "NO-BREAK SPACE": "\u00a0", "EN QUAD": "\u2000",
    "FIGURE SPACE": "\u2007", "NARROW NO-BREAK SPACE": "\u202f", "OGHAM SPACE MARK": "\u1680",
    "MEDIUM MATHEMATICAL SPACE": "\u205f", "BRAILLE PATTERN BLANK": "\u2800",
    "LINE SEPARATOR": "\u2028", "PARAGRAPH SEPARATOR": "\u2029", "PRIVATE USE": "\ue000",
    "(unassigned U+0378)": "\u0378", "DELETE": "\x7f", "(surrogate U+D800)": "\ud800",
}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_every_invisible_character_is_refused_naming_the_field_and_escaped_on_output(char):
    for field in identity_input.FIELDS:
        with pytest.raises(InputError) as caught:
            identity_input.clean(field, f"Zed{char}Test Person")
        said = caught.value.message + caught.value.next_step
        assert caught.value.message.startswith(f"{field}: contains ") and char not in said
        assert "Zed" not in said and "Person" not in said
    assert terminal.is_unsafe(char) and terminal.unsafe_in(f"Zed{char}Test")
    shown = terminal.safe(f"Zed{char}Test Person")
    assert char not in shown and shown.isascii() and shown.isprintable()
    assert shown == f"Zed{terminal.escape(char)}Test Person"


@pytest.mark.parametrize("char", ["\u115f", "\ufe0f", "\u034f", "\u3000", "\u2800",
                                  "\u00a0", "\U000e0100"])
def test_client_add_refuses_an_invisible_character_without_echoing_it(practice, char):
    before = practice.count()
    document = json.dumps({"name": f"Zed{char}Test Person"})  # \uXXXX escapes, as printf's
    done = practice.run("client", "add", stdin=document)
    assert done.returncode == 9, done.stdout + done.stderr
    assert "name: contains a control character" in done.stderr
    assert char not in done.stdout + done.stderr and "Person" not in done.stdout + done.stderr
    assert practice.count() == before
    raw = practice.run("client", "add", stdin=f'name = "Zed{char}Test Person"\n')  # TOML
    assert raw.returncode == 9 and "name: contains a control character" in raw.stderr
    assert practice.count() == before


@pytest.mark.parametrize("pseudonym", ["Quiet\u3164Heron", "Amber\ufe0fFalcon",
                                       "Amber\u00a0Falcon"])
def test_a_chosen_pseudonym_with_an_invisible_character_is_refused(practice, pseudonym):
    """The pseudonym follows the input rule too (third review, C9): one with a Hangul
    filler or a variation selector could never be named in the config."""
    before = practice.count()
    done = practice.run("client", "add", stdin=json.dumps({"name": "Zed Test Person",
                                                           "pseudonym": pseudonym}))
    assert done.returncode == 9 and "invisible" in done.stderr, done.stdout + done.stderr
    assert practice.count() == before


def test_a_letter_with_marks_stacked_on_it_is_refused_but_usual_accents_stay():
    """Marks piled on one letter (text that spills over the lines around it) are refused
    at input; Vietnamese, Thai and accented Latin names are not."""
    with pytest.raises(InputError, match="stacked"):
        identity_input.clean("name", "O" + "\u0336\u0337\u0338\u0301\u0302" + "ttilie Z")
    for text in ("Nguy\u1ec5n Th\u1ecb", "\u0e2a\u0e38\u0e02\u0e4c", "Zoë Ångström"):
        assert identity_input.clean("name", text) == text


def test_the_ordinary_space_and_visible_letters_stay_allowed():
    for text in ("Zed Test Person", "Zoë Ångström", "王芳", "O’Brien-Smith", "Jean‐Luc"):
        assert identity_input.clean("name", text) == text
        assert terminal.safe(text) == text


def test_invisible_characters_in_the_store_are_escaped_by_client_list_and_show(tmp_path):
    p = Practice(tmp_path)
    crypto.write_key_file(p.key_path, crypto.generate_key())
    chars = "".join(INVISIBLE[k] for k in ("HANGUL CHOSEONG FILLER", "VARIATION SELECTOR-16",
                                           "COMBINING GRAPHEME JOINER", "IDEOGRAPHIC SPACE",
                                           "BRAILLE PATTERN BLANK"))
    hidden = ClientIdentity("Zed\u115fTest\u3000Person", email="zed\ufe0f@example.org",
                            notes="a\u034fb\u2800c", contact="via\u00a0phone")
    with Store.create(p.store_path, crypto.load_key_file(p.key_path)) as store:
        store.add_client(hidden, "Amber Falcon")  # the Store itself does not check input
    listed, shown = p.run("client", "list"), p.run("client", "show", "Amber Falcon")
    for done in (listed, shown):
        assert done.returncode == 0, done.stderr
        screen = done.stdout + done.stderr
        assert not any(ch in screen for ch in chars + "\u00a0"), screen
        assert not any(terminal.is_unsafe(ch) for ch in screen.replace("\n", ""))
    assert "Zed\\u115fTest\\u3000Person" in listed.stdout
    for escaped in ("\\u115f", "\\u3000", "\\ufe0f", "\\u034f", "\\u2800", "\\u00a0"):
        assert escaped in shown.stdout, escaped


@pytest.mark.parametrize("document, words", [
    ("Test Person Jones\n", "neither a JSON object nor a TOML document (line 1, column 6)"),
    ('{"name": "Test Person Jones",}', "not valid JSON"),
    ('{"name": "Test Person", "Jones": "x"}', "1 field(s) pseudocal does not take"),
    ('{"name": "Test Person", "phone": 447700900123}', "phone: give it as text"),
    ('{"email": "jones@example.org"}', "a client needs a name"),
    ('{"name": "   "}', "a client needs a name"),
    ("", "standard input is empty"),
    ('{"name": "Test Person Jones", "timezone": "America"}', "timezone:"),
])
def test_bad_documents_are_refused_without_echoing_them(practice, document, words):
    before = practice.count()
    done = practice.run("client", "add", stdin=document)
    assert done.returncode == 9 and words in done.stderr, done.stderr
    assert "Jones" not in done.stdout + done.stderr
    assert practice.count() == before


def test_edit_from_standard_input_changes_only_the_given_fields(practice):
    with sqlite3.connect(practice.store_path) as db:
        before = db.execute("SELECT id, dek, created_at FROM clients").fetchall()
    done = practice.run("client", "edit", "Amber Falcon", "--json",
                        stdin='phone = "+44 7700 900456"\nnotes = "new note"\nemail = ""\n')
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["changed"] == ["email", "phone", "notes"] and doc["rotated"] == []
    assert doc["pseudonym"] == "Amber Falcon"
    ident = practice.client("Amber Falcon").identity
    assert (ident.name, ident.email, ident.notes) == ("Test Person Alpha", None, "new note")
    assert ident.phone_e164 == "+447700900456"
    with sqlite3.connect(practice.store_path) as db:
        assert db.execute("SELECT id, dek, created_at FROM clients").fetchall() == before
    text = practice.run("client", "edit", "Amber Falcon", stdin='{"name": "Test Person Eta"}')
    assert text.returncode == 0 and "updated Amber Falcon: name changed" in text.stdout
    assert "Eta" not in text.stdout + text.stderr
    same = practice.run("client", "edit", "Amber Falcon", stdin="{}")
    assert same.returncode == 0 and "no change" in same.stdout


def test_edit_refuses_to_clear_the_name_or_change_the_pseudonym(practice):
    for doc in ('{"name": ""}', '{"name": null}', '{"pseudonym": "Quiet Heron"}'):
        done = practice.run("client", "edit", "Amber Falcon", stdin=doc)
        assert done.returncode == 9, doc
    assert practice.client("Amber Falcon").identity.name == "Test Person Alpha"
    missing = practice.run("client", "edit", "Test Person Alpha", stdin="{}")
    assert missing.returncode == 9 and "Alpha" not in missing.stderr


def test_the_process_list_of_a_running_add_holds_no_identity(practice):
    doc = {"name": "Test Person Theta", "email": "theta@example.org", "phone": "+44 7700 900789",
           "notes": "a private note"}
    proc = subprocess.Popen([str(PSEUDOCAL), "client", "add", "--json", "--config",
                             str(practice.config)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment())
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline")
        deadline, seen = time.monotonic() + 30, b""
        while time.monotonic() < deadline and b"client" not in seen:
            seen = cmdline.read_bytes()
            time.sleep(0.05)
        time.sleep(0.5)  # give it time to reach the read of standard input
        assert proc.poll() is None  # still running, waiting for its document
        held = cmdline.read_bytes().decode("utf-8", "replace")
        assert "client" in held and "add" in held
        assert not any(v in held for v in ("Theta", "theta@", "900789", "private"))
        out, err = proc.communicate(json.dumps(doc).encode(), timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, err
    assert practice.client(json.loads(out)["pseudonym"]).identity.notes == "a private note"


# ---------------------------------------------------------------- the prompt, in a terminal


class Terminal:
    """A command with a real pseudo-terminal as stdin, stdout and stderr."""

    def __init__(self, argv: list[str], timeout: float = 60) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     env=environment(), start_new_session=True)
        os.close(slave)
        self.screen, self.seen = b"", 0
        self.deadline = time.monotonic() + timeout

    def _read(self) -> bool:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return False
        ready, _, _ = select.select([self.master], [], [], min(remaining, 0.5))
        if not ready:
            return self.proc.poll() is None
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: the other side is closed
            return False
        self.screen += data
        return bool(data)

    def expect(self, text: str) -> str:
        """Wait for `text` after what was already seen; what came before it."""
        needle = text.encode()
        while needle not in self.screen[self.seen:]:
            if not self._read():
                raise AssertionError(f"{text!r} never came; the screen: {self.text()!r}")
        at = self.screen.index(needle, self.seen)
        before, self.seen = self.screen[self.seen:at], at + len(needle)
        return before.decode("utf-8", "replace")

    def answer(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self) -> int:
        while self._read():
            pass
        os.close(self.master)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise

    def text(self) -> str:
        return self.screen.decode("utf-8", "replace")


def test_the_prompt_asks_one_question_per_field_in_a_terminal(practice):
    term = Terminal([str(PSEUDOCAL), "client", "add", "--config", str(practice.config)])
    try:
        term.expect("name: ")
        term.answer("")
        term.expect("a client needs a name")
        term.expect("name: ")
        term.answer("Test \x1b[31mPerson")  # ESC typed into the terminal
        term.expect("name: contains a control character")
        term.expect("name: ")
        term.answer("Test Person Iota")
        term.expect("email: ")
        term.answer("iota@example.org")
        term.expect("phone (")
        term.answer("07700 900321")
        term.expect("country (")
        term.answer("GB")
        term.expect("time zone (")
        term.answer("Mars/Olympus")
        term.expect("timezone: ")
        term.expect("time zone (")
        term.answer("America/New_York")
        term.expect("contact route")
        term.answer("")
        term.expect("notes (one line): ")
        term.answer("")
        term.expect("added a client as ")
    finally:
        code = term.finish()
    assert code == 0, term.text()
    pseudonym = term.text().split("added a client as ", 1)[1].split()[:2]
    ident = practice.client(" ".join(pseudonym)).identity
    assert (ident.name, ident.email, ident.country, ident.timezone, ident.contact) == (
        "Test Person Iota", "iota@example.org", "GB", "America/New_York", None)
    assert ident.phone_e164 == "+447700900321"


def test_the_edit_prompt_says_which_fields_are_set_and_shows_a_value_only_when_asked(practice):
    term = Terminal([str(PSEUDOCAL), "client", "edit", "Amber Falcon", "--json",
                     "--config", str(practice.config)])
    try:
        header = term.expect("name [set]: ")
        assert "Set: name, email." in header and "Not set: phone," in header
        term.answer("")
        asked = term.expect("email [set]: ")
        term.answer("?")
        shown = term.expect("email [set]: ")
        assert "alpha@example.org" not in header + asked
        assert "current email: alpha@example.org" in shown
        term.answer("-")
        term.expect("phone (")
        term.answer("+44 7700 900654")
        for question in ("country (", "time zone (", "contact route", "notes (one line)"):
            term.expect(question)
            term.answer("")
        term.expect('"changed"')
    finally:
        code = term.finish()
    assert code == 0, term.text()
    assert "Test Person Alpha" not in term.text()  # the name was never asked to be shown
    ident = practice.client("Amber Falcon").identity
    assert (ident.name, ident.email, ident.phone_e164) == ("Test Person Alpha", None,
                                                           "+447700900654")


def test_a_closed_prompt_stores_nothing(practice):
    before = practice.count()
    term = Terminal([str(PSEUDOCAL), "client", "add", "--config", str(practice.config)])
    try:
        term.expect("name: ")
        os.write(term.master, b"\x04")  # Ctrl-D: end of input
        term.expect("nothing was stored")
    finally:
        code = term.finish()
    assert code == 9 and practice.count() == before


# ---------------------------------------------------------------- output from the store


def test_control_characters_in_the_store_never_reach_the_terminal_raw(tmp_path):
    monday = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 + 7)
    p = Practice(tmp_path, f'[[sessions]]\nclient = "Amber Falcon"\nstart = {monday}T10:00:00\n'
                           'duration = "50m"\nrepeat = "weekly"\n')
    crypto.write_key_file(p.key_path, crypto.generate_key())
    hostile = ClientIdentity(f"Test {ESC}[31mPerson{RLO} Kappa",
                             email=f"kappa{ESC}]0;x@example.org",
                             notes=f"note {RLO}\u2066 with {ESC}[2J bidi", contact="\x07\x08")
    with Store.create(p.store_path, crypto.load_key_file(p.key_path)) as store:
        store.add_client(hostile, "Amber Falcon")  # the Store itself does not check input
    outputs = {
        "list": p.run("client", "list"),
        "show": p.run("client", "show", "Amber Falcon"),
        "week": p.run("week", str(monday), "--reveal"),
        "list json": p.run("client", "list", "--json"),
    }
    for what, done in outputs.items():
        assert done.returncode == 0, (what, done.stderr)
        screen = done.stdout + done.stderr
        assert not any(terminal.is_unsafe(ch) for ch in screen.replace("\n", "")), what
        assert ESC not in screen and RLO not in screen and "\x07" not in screen, what
    assert "Test \\u001b[31mPerson\\u202e Kappa" in outputs["list"].stdout
    assert "\\u2066" in outputs["show"].stdout and "\\u0007\\u0008" in outputs["show"].stdout
    assert "Test \\u001b[31mPerson\\u202e Kappa" in outputs["week"].stdout
    listed = json.loads(outputs["list json"].stdout)["clients"][0]
    assert listed["name"] == hostile.name  # JSON keeps the value, escaped by json itself


def test_safe_escapes_every_unsafe_character_and_keeps_the_rest():
    assert terminal.safe("Zoë Ångström 王芳 O’Brien") == "Zoë Ångström 王芳 O’Brien"
    assert terminal.safe(f"a{ESC}[0mb") == "a\\u001b[0mb"
    assert terminal.safe("\u202a\u202e\u2066\u2069\u200b\u00ad") == (
        "\\u202a\\u202e\\u2066\\u2069\\u200b\\u00ad")
    assert terminal.safe("\u2028\U000e0041\ue000") == "\\u2028\\U000e0041\\ue000"
    assert terminal.safe(None) == ""
    unsafe = [chr(code) for code in range(0x110000) if terminal.is_unsafe(chr(code))]
    assert len(unsafe) > 900_000  # unassigned and private use included
    escaped = terminal.safe("".join(unsafe))
    assert escaped.isascii() and escaped.isprintable()


def test_clean_refuses_what_safe_would_escape():
    for bad in (f"x{ESC}", "x\u202e", "x\u200b", "x\n", "x\t", "x\u2028", "x\x00"):
        with pytest.raises(InputError) as caught:
            identity_input.clean("contact", bad)
        assert caught.value.message.startswith("contact: ") and bad not in caught.value.message
    assert identity_input.clean("name", "  Zoë Ångström  ") == "Zoë Ångström"
    assert identity_input.clean("notes", "   ") is None
