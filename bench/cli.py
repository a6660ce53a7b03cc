"""What every bench shares: its command line, with --smoke, and the verdict line it is judged by."""

from __future__ import annotations

import argparse

SMOKE_HELP = "the smallest size that runs every step, in seconds, in a database of its own; judges nothing (CI)"


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The bench's command line, its docstring as help, with --smoke."""
    result = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    result.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    return result


def mark(passed: bool, *, smoke: bool) -> str:
    """PASS or FAIL; nothing for a smoke run, which is too small to say anything about speed."""
    return "" if smoke else "PASS" if passed else "FAIL"


def verdict(judged_by: str, ratio: float, *, passed: bool, smoke: bool) -> int:
    """Print the ratio line and the verdict; return the exit status."""
    if smoke:
        print(f"ratio {judged_by}: {ratio:.2f}  not judged: a smoke run only shows that every step works")
        return 0
    print(f"ratio {judged_by}: {ratio:.2f}  {mark(passed, smoke=smoke)}")
    return 0 if passed else 1
