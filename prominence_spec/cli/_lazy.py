"""Commands built when they are used: ``promspec validate`` turns only `validate`'s
function into a click command (its options, types and help), not all fourteen.

The commands are registered on a catalogue (a :class:`typer.Typer` with the root app's
settings that is never run itself); the root group looks each one up there on first use
and builds it with typer's own functions and those settings, as typer builds a group's
commands all at once. Help lists every command, so it builds them all, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup


class CommandsOnDemand(MutableMapping[str, Any]):
    """A group's commands by name, in the catalogue's order (commands, then sub-groups),
    each built on first lookup."""

    def __init__(self, catalogue: typer.Typer) -> None:
        self._settings = catalogue
        self._pending: dict[str, Any] = {}
        for command in catalogue.registered_commands:
            assert command.callback is not None
            name = command.name or typer.main.get_command_name(command.callback.__name__)
            self._pending[name] = command
        for group in catalogue.registered_groups:
            self._pending[str(group.name)] = group
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        built = self._built.get(name)
        if built is None:
            built = self._built[name] = self._build(self._pending[name])
        return built

    def __setitem__(self, name: str, command: Any) -> None:
        self._pending.setdefault(name, None)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._pending[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._pending)

    def __len__(self) -> int:
        return len(self._pending)

    def _build(self, info: Any) -> Any:
        settings = self._settings
        if isinstance(info, typer.models.TyperInfo):
            return typer.main.get_group_from_info(
                info,
                pretty_exceptions_short=settings.pretty_exceptions_short,
                rich_markup_mode=settings.rich_markup_mode,
                suggest_commands=settings.suggest_commands,
            )
        return typer.main.get_command_from_info(
            command_info=info,
            pretty_exceptions_short=settings.pretty_exceptions_short,
            rich_markup_mode=settings.rich_markup_mode,
        )


class LazyGroup(TyperGroup):
    """A group whose commands are those of its class's ``catalogue``, built on demand;
    listing them builds none."""

    catalogue: typer.Typer | None = None

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        assert self.catalogue is not None, "use lazy_group(catalogue)"
        on_demand = CommandsOnDemand(self.catalogue)
        on_demand.update(self.commands)
        self.commands = on_demand

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: Any) -> Any:
        """A command whose reader went away (``| head``) ends as cli.main says, exit 0:
        left to click, a broken pipe would be ``sys.exit(1)`` from inside the group."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            from prominence_spec.cli._output import quiet_broken_pipe

            quiet_broken_pipe()
            raise typer.Exit(0) from None


def lazy_group(catalogue: typer.Typer) -> type[LazyGroup]:
    """A group class (for ``typer.Typer(cls=...)``) whose commands are ``catalogue``'s;
    the catalogue must have the settings of the app that uses the class."""
    return type("PromspecGroup", (LazyGroup,), {"catalogue": catalogue})
