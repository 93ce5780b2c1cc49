"""Commands run in-process on a test's clock against the scripted service: a settings
file, a cache, and one provider (or a new one per run, as separate processes would)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cognito_credproc.arguments import build_parser
from cognito_credproc.cache import FileCache
from cognito_credproc.cli import Context, plain_run_args
from cognito_credproc.config import load_profile
from cognito_credproc.prompt import NoTerminal
from cognito_credproc.provider import Provider
from cognito_credproc.store import Store

from .fakes import SECTION, Clock

PASSWORD = {"COGNITO_CREDPROC_PASSWORD": "pw"}


class Home:
    """A settings file for the scripted service, a cache, and commands run in-process on
    the test's clock."""

    def __init__(
        self, tmp_path: Path, endpoint: str, clock: Clock, *, fresh: bool = False, **extra: str
    ) -> None:
        """``fresh``: a new provider for every run, as a new process has (its clock skew
        not yet measured); ``extra``: more settings."""
        self.clock = clock
        self.fresh = fresh
        self.config = tmp_path / "config.ini"
        self.config.write_text(
            "[dev]\n"
            + "".join(f"{k} = {v}\n" for k, v in {**SECTION, **extra}.items())
            + f"endpoint_url = {endpoint}\n"
        )
        self.cache = FileCache(str(tmp_path / "cache"))
        self.profile = load_profile(str(self.config), "dev", {})
        self.store = Store(self.profile, self.cache)
        self.environ = {"COGNITO_CREDPROC_CACHE_DIR": self.cache.directory, **PASSWORD}

        # one provider for every run: its clients (and botocore's setup) are made once
        self.provider = self.new_provider()

    def new_provider(self) -> Provider:
        return Provider(
            self.profile,
            self.cache,
            now=self.clock,
            interaction=NoTerminal("dev"),
            environ=self.environ,
        )

    def context(self, *argv: str) -> Context:
        full = [*argv, "--profile", "dev", "--config", str(self.config)]
        args = plain_run_args(full) or build_parser().parse_args(full)  # as main() reads them
        ctx = Context(args, dict(self.environ), now=self.clock)
        if self.fresh:
            self.provider = self.new_provider()
        ctx.provider = lambda: self.provider  # type: ignore[method-assign]
        return ctx

    def run(self, command: Callable[[Context], int], *argv: str) -> tuple[int, str]:
        """A command (``cmd_credentials``, ``cmd_status`` ...) on the clock; (code, stdout)."""
        out = io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stdout", out)
            code = command(self.context(*argv))
        return code, out.getvalue()

    def cached_credentials(self) -> dict[str, object]:
        entry = self.store.credentials_entry()
        assert entry is not None
        return entry
