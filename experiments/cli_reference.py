"""The CLI reference page (docs/cli.md), generated from the `gridvalue` argument parser.

`python -m gridvalue.experiments.cli_reference > docs/cli.md` (or `make docs-ref`) writes it;
a test keeps it current.
"""

import argparse
import sys


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: (choice.help or "").replace("%%", "%")
                    for choice in action._choices_actions}
    return {}


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _argument_rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            name = ", ".join(action.option_strings)
            if action.nargs != 0:
                metavar = action.metavar or action.dest.upper()
                name += " " + (" ".join(metavar) if isinstance(metavar, tuple) else metavar)
        else:
            name = action.metavar or action.dest
            if action.nargs == "?":
                name = f"[{name}]"
        help_text = (action.help or "") % {"default": action.default, "prog": parser.prog}
        if action.choices and not isinstance(action, argparse._SubParsersAction):
            help_text += f" (one of: {', '.join(map(str, action.choices))})"
        rows.append(f"| `{_cell(name)}` | {_cell(help_text)} |")
    return rows


def markdown(parser: argparse.ArgumentParser | None = None) -> str:
    """The reference of every subcommand: its purpose, usage line and arguments."""
    if parser is None:
        from gridvalue.experiments.cli import _parser

        parser = _parser()
    helps = _helps(parser)
    out = ["# Command line reference", "",
           "Generated from the argument parser by `make docs-ref` "
           "(`python -m gridvalue.experiments.cli_reference`); do not edit by hand.", "",
           _cell(parser.description or ""), "",
           "Every subcommand prints bad input as one line `gridvalue: error: FIELD: PROBLEM` "
           "and exits with code 2.", ""]
    for name, sub in sorted(_subparsers(parser).items()):
        usage = " ".join(sub.format_usage().replace("usage: ", "", 1).split())
        out += [f"## `gridvalue {name}`", "", _cell(helps.get(name, "")), "",
                "```", usage, "```", ""]
        rows = _argument_rows(sub)
        if rows:
            out += ["| argument | meaning |", "|---|---|", *rows, ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(markdown())
