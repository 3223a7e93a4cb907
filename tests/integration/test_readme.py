"""The README's commands, run as a reader runs them, so the README cannot drift from the code.

Every fenced block of README.md is tagged:
- ``sh``: commands, run in order, top to bottom, in one bash session (so a variable or a tenant
  one command makes is there for the next), from the repository's root, against what ``make
  run`` starts: here the suite's dev server and emulation, with ``make run``'s demo seeded by
  ``make run``'s own seeding code. A command that exits non-zero fails the test. The first
  block is the exception: ``make run`` and ``make test`` are what this suite stands in for, so
  they are checked against the Makefile and CI instead of run.
- ``output``: what the last command of the ``sh`` block just before it prints; ``…`` stands for
  any text within a line (ids, secrets, times).
- ``text`` (or a language such as ``json``): illustrative, never run. The deployment commands
  are ``text``: they create resources in a real AWS account, which nothing here may reach.

The substitutions, all of them: ``http://127.0.0.1:8000`` (make run's address) becomes the
suite's server's, in commands and shown output alike; ``./oidc`` finds make run's environment
in the file ``OIDC_DEV_ENV`` names, written for the suite's emulation (``.local/env`` is left
alone), and the Python of ``VENV``, the one running the tests (``make`` installs it as .venv).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import EMULATOR, ROOT
from tests.support.dev_env import BASE_ENV, dev_environment

README = ROOT / "README.md"
MAKE_RUN_BASE = "http://127.0.0.1:8000"
SHELLS = {"sh", "bash", "shell", "console", "zsh"}  # only "sh" is run: the others would look runnable


@dataclass(frozen=True)
class Block:
    tag: str
    body: str
    line: int


@dataclass(frozen=True)
class Command:
    text: str
    line: int
    output: str | None = None  # what the README shows it prints


def blocks(text: str) -> list[Block]:
    found = []
    for match in re.finditer(r"^```([^\n`]*)\n(.*?)^```$", text, re.M | re.S):
        found.append(Block(match[1].strip(), match[2], text[: match.start()].count("\n") + 1))
    return found


def commands(block: Block) -> list[Command]:
    """The block's commands: continued lines joined; blank and comment lines left out."""
    found: list[Command] = []
    pending, start = "", 0
    for number, line in enumerate(block.body.splitlines(), block.line + 1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        start = start if pending else number
        pending += line + "\n"
        if not line.endswith("\\"):
            found.append(Command(pending.rstrip("\n"), start))
            pending = ""
    assert not pending, f"README.md:{block.line}: a command ends with a continuation"
    return found


def runnable(text: str) -> tuple[list[Command], list[Block]]:
    """The commands to run, each with the output shown after it; and the first block."""
    every = blocks(text)
    untagged = [block.line for block in every if not block.tag]
    assert not untagged, f"README.md: tag these blocks sh, output or text: lines {untagged}"
    others = [block.line for block in every if block.tag in SHELLS - {"sh"}]
    assert not others, f"README.md: shell blocks are tagged sh (run) or text (not run): lines {others}"
    shell = [index for index, block in enumerate(every) if block.tag == "sh"]
    found: list[Command] = []
    for index in shell[1:]:
        block_commands = commands(every[index])
        following = every[index + 1] if index + 1 < len(every) else None
        if following is not None and following.tag == "output":
            last = block_commands[-1]
            block_commands[-1] = Command(last.text, last.line, following.body)
        found += block_commands
    strays = [b.line for i, b in enumerate(every) if b.tag == "output" and (i == 0 or every[i - 1].tag != "sh")]
    assert not strays, f"README.md: an output block follows the sh block whose output it shows: lines {strays}"
    return found, [every[shell[0]]]


def session(commands_: list[Command], base: str, workdir: Path) -> str:
    """One bash script that runs every command in turn, each one's output and status kept in
    ``workdir``; it stops at the first failure."""
    lines = ["set -u"]
    for index, command in enumerate(commands_):
        text = command.text.replace(MAKE_RUN_BASE, base)
        # The brace group runs in this shell (variables persist); the newline ends a trailing comment.
        lines.append(f'{{ {text}\n}} >"{workdir}/{index}.out" 2>"{workdir}/{index}.err" </dev/null')
        lines.append(f'status=$?; echo $status >"{workdir}/{index}.rc"; [ $status = 0 ] || exit $status')
    return "\n".join(lines) + "\n"


def matches(shown: str, printed: str) -> bool:
    """Line by line, ``…`` standing for any text within its line."""
    wanted, got = shown.rstrip("\n").split("\n"), printed.rstrip("\n").split("\n")
    patterns = [re.compile(".*?".join(map(re.escape, line.split("…")))) for line in wanted]
    return len(wanted) == len(got) and all(p.fullmatch(line) for p, line in zip(patterns, got, strict=True))


@pytest.fixture(scope="module")
def demo(provider):
    """make run's demo, seeded by make run's own code (infra/local.py)."""
    from infra.local import seed

    seed(provider, {"client_secret": "readme-demo-client-secret-of-at-least-32-chars", "password": "readme demo pw"})
    return provider


def test_every_command_of_the_readme_runs_and_prints_what_it_shows(demo, tmp_path):
    to_run, _ = runnable(README.read_text())
    assert len(to_run) >= 10, "the README's commands were not found"
    env_file = tmp_path / "env"
    env_file.write_text(json.dumps(dev_environment(EMULATOR.url, demo)))
    env = {**BASE_ENV, "HOME": str(tmp_path), "OIDC_DEV_ENV": str(env_file)}
    script = session(to_run, demo, tmp_path)
    subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, timeout=600, check=False)
    for index, command in enumerate(to_run):
        where = f"README.md:{command.line}: {command.text}"
        rc = tmp_path / f"{index}.rc"
        assert rc.exists(), f"{where}: not run (an earlier command stopped the session)"
        error = (tmp_path / f"{index}.err").read_text()
        assert rc.read_text().strip() == "0", f"{where}\nfailed: {error}"
        if command.output is not None:
            printed = (tmp_path / f"{index}.out").read_text()
            shown = command.output.replace(MAKE_RUN_BASE, demo)
            assert matches(shown, printed), f"{where}\nthe README shows:\n{shown}\nit printed:\n{printed}"


def test_the_first_two_commands_are_what_make_and_ci_run():
    """``make run`` and ``make test``: the Makefile's targets, and ``make test`` is CI's command."""
    _, (first,) = runnable(README.read_text())
    assert [command.text.split("#")[0].strip() for command in commands(first)] == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = [
        line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith(("#", "set "))
    ]
    assert ci[-1] == "make test"


@pytest.mark.parametrize(
    "target, command, step",
    [
        ("run", "pip install --quiet -r requirements-dev.txt", "installing Python packages"),
        ("run", "-m infra.package", "packaging"),
        ("run", "-m infra.local", "starting the AWS emulation"),
        ("test", "pip install --quiet -r requirements-dev.txt", "installing Python packages"),
        ("test", "ruff check", "lint"),
        ("test", "pytest tests/unit", "unit tests"),
        ("test", "npm ci", "installing openid-client"),
        ("test", "pytest tests/integration", "integration tests"),
    ],
)
def test_the_long_steps_say_what_they_do_first(tmp_path, target, command, step):
    """On a fresh machine (no virtual environment yet), each long step of the two commands is
    announced before it starts: no silent minute."""
    env = {"PATH": BASE_ENV["PATH"], "HOME": str(tmp_path)}
    plan = subprocess.run(
        ["make", "-n", f"VENV={tmp_path / 'venv'}", f"NODE_STAMP={tmp_path / 'node'}", target],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    at = next(index for index, line in enumerate(plan) if command in line)
    announced = [line for line in plan[:at] if "==>" in line]
    assert announced and step in announced[-1], plan[: at + 1]


@pytest.mark.parametrize(
    "shown, printed, same",
    [
        ('{\n  "kid": "…"\n}', '{\n  "kid": "abc"\n}', True),
        ('{\n  "kid": "…"\n}', '{\n  "kid": "abc",\n  "x": 1\n}', False),  # a line more
        ('"created_at": …,', '"created_at": 1796060642,', True),
        ('"status": "active"', '"status": "retired"', False),
        ("a.b", "axb", False),  # only … is special
    ],
)
def test_shown_output_matches_line_by_line(shown, printed, same):
    assert matches(shown, printed) is same


def test_a_failing_command_is_reported_with_its_line(tmp_path):
    """The mechanism itself: a command that fails stops the session, and is named."""
    readme = "```sh\nmake run\n```\n\n```sh\ntrue\nfalse   # fails\necho never\n```\n"
    to_run, _ = runnable(readme)
    subprocess.run(["bash", "-c", session(to_run, MAKE_RUN_BASE, tmp_path)], check=False)
    statuses = [(tmp_path / f"{index}.rc").read_text().strip() if (tmp_path / f"{index}.rc").exists() else None
                for index in range(3)]  # fmt: skip
    assert statuses == ["0", "1", None]
    assert [command.line for command in to_run] == [6, 7, 8]


def test_untagged_blocks_are_refused():
    with pytest.raises(AssertionError, match="tag these blocks"):
        runnable("```sh\nmake run\n```\n```\nls\n```\n")
    with pytest.raises(AssertionError, match="tagged sh"):
        runnable("```sh\nmake run\n```\n```bash\nls\n```\n")


if __name__ == "__main__":  # list what would run: python -m tests.integration.test_readme
    for command in runnable(README.read_text())[0]:
        print(f"{command.line}: {command.text}", file=sys.stdout)
