"""The command line's parser: usage errors that never repeat a value that was typed."""
from __future__ import annotations

import argparse
import sys

# Options that carry a client's details: refused on the command line (the shell history would
# keep them), and named, never their values, when someone types them anyway.
IDENTITY_OPTIONS = frozenset({"--name", "--email", "--mail", "--phone", "--tel", "--notes",
                              "--note", "--country", "--timezone", "--tz", "--contact"})


class UsageParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors never repeat a value that was typed.

    argparse's own errors quote what they could not read (`unrecognized arguments: Jane
    Roe`, `invalid choice: 'Jane Roe'`, `ignored explicit argument 'Jane'`), and a name
    typed by mistake would then be printed again, into a terminal log or a script's
    output. Here they keep pseudocal's own words (option and command names, the choices)
    and leave every typed value out; an argument a command does not take is counted, and
    named only when it is one of pseudocal's option names (`--dry-run`, `--email`). A
    last check replaces a message that still holds a typed value with a general one.
    Exit status 2, as argparse's."""

    _typed: tuple[str, ...] = ()  # the whole command line being parsed
    _known: frozenset[str] = frozenset()  # pseudocal's own words: options, commands

    def parse_args(self, args=None, namespace=None):
        typed = list(sys.argv[1:] if args is None else args)
        UsageParser._typed = tuple(typed)
        UsageParser._known = _own_words(self) | IDENTITY_OPTIONS
        namespace, extras = self.parse_known_args(typed, namespace)
        if extras:
            self.unrecognised(extras)
        return namespace

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:  # a command's own parser: nobody else reads them
            self.unrecognised(extras)
        return namespace, extras

    def unrecognised(self, extras: list[str]) -> None:
        """Exit 2 for arguments this command does not take, naming only option names."""
        names = [a.split("=", 1)[0] for a in extras]
        shown = sorted({n for n in names if n.startswith("-") and n in self._known})
        hidden = sum(1 for n in names if n not in shown)
        parts = [", ".join(shown)] if shown else []
        if hidden:
            parts.append(f"{hidden} other argument{'s' if hidden > 1 else ''}, not repeated")
        self.fail("unrecognized arguments: " + "; ".join(parts))

    def error(self, message: str):
        self.fail(without_values(message))

    def fail(self, text: str):
        if _repeats_typed(text):
            text = "the command line could not be read"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {text}\n"
                     f"  (values typed on the command line are never repeated: a name there "
                     f"stays in the shell history)\n  see `{self.prog} --help`\n")


class HoldingParser(UsageParser):
    """The client commands' parser: with hold_extras=True it keeps unknown arguments in
    `refused_args` instead of failing, and `identity_input.refuse_arguments` explains the
    refusal (shell history, process list) without repeating them; otherwise a UsageParser,
    whose errors never repeat a value either."""

    def __init__(self, *args, hold_extras: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._hold_extras = hold_extras

    def parse_known_args(self, args=None, namespace=None):
        if not self._hold_extras:
            return super().parse_known_args(args, namespace)
        namespace, extras = argparse.ArgumentParser.parse_known_args(self, args, namespace)
        namespace.refused_args = list(extras)
        return namespace, []


def without_values(message: str) -> str:
    """argparse's message with every value it quotes from the command line left out."""
    if message.startswith("argument ") and ": " in message:
        name, rest = message[len("argument "):].split(": ", 1)
        return f"argument {name}: {_rest_without_values(rest)}"
    if message.startswith("unrecognized arguments"):
        return "unrecognized arguments (not repeated)"
    if message.startswith("ambiguous option: ") and " could match " in message:
        option, matches = message[len("ambiguous option: "):].rsplit(" could match ", 1)
        return f"ambiguous option: {option.split('=', 1)[0]} could match {matches}"
    return message


def _rest_without_values(rest: str) -> str:
    if rest.startswith("invalid choice"):
        choices = rest.rpartition(" (choose from ")[2].rstrip(")") if "(choose from " in rest \
            else ""
        return "invalid choice (not repeated)" + (f"; choose from {choices}" if choices else "")
    if rest.startswith("unknown parser"):
        return "unknown command (not repeated)"
    if rest.startswith("invalid ") and " value: " in rest:
        return rest.split(" value: ", 1)[0] + " value (not repeated)"
    if rest.startswith("ignored explicit argument"):
        return "this option takes no value (what followed it is not repeated)"
    return rest


def _own_words(parser: argparse.ArgumentParser) -> frozenset[str]:
    """Every option string and command name of `parser` and its subcommands."""
    found: set[str] = set()
    todo, seen = [parser], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for action in current._actions:
            found.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                found.update(action.choices)
                todo.extend(action.choices.values())
    return frozenset(found)


def _repeats_typed(text: str) -> bool:
    """Does `text` hold a value from the command line (not one of pseudocal's own words)?"""
    known = UsageParser._known
    for typed in UsageParser._typed:
        name, equals, after = typed.partition("=")
        if typed in known:
            continue
        if name in known:  # --option=value: the value only
            values = {after}
        else:
            values = {typed, typed.lstrip("-"), after if equals else typed}
            if typed.startswith("-") and not typed.startswith("--"):
                values.add(typed[2:])  # -vJane: -v, then "Jane"
        if any(len(v) >= 2 and v not in known and (v in text or repr(v) in text)
               for v in values):
            return True
    return False
