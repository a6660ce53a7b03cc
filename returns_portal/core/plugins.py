"""Plug-ins chosen in settings by dotted path (a carrier, a payment provider), as Django's own backends are.

`plugin_errors` is what a system check says about one such setting: the path imports, names a
class, and that class has every member of the small interface it stands behind. The apps'
`checks.py` call it at start-up, so a typo stops `manage.py check` instead of a customer's
first confirm.
"""

from __future__ import annotations

import inspect

from django.core import checks
from django.utils.module_loading import import_string


def interface_members(interface: type) -> dict[str, bool]:
    """The public names a `typing.Protocol` declares, each with whether it is a method."""
    members = {name: False for name in getattr(interface, "__annotations__", {}) if not name.startswith("_")}
    methods = {name: True for name, value in vars(interface).items() if callable(value) and not name.startswith("_")}
    return members | methods


def plugin_errors(
    path: object, *, interface: type, setting: str, default: str, ids: tuple[str, str, str]
) -> list[checks.CheckMessage]:
    """None when `path` names a class that implements `interface`; else one `Error` saying what is wrong.

    `ids` are the check ids for: does not import, is not a class, lacks part of the interface.
    """
    cannot_import, not_a_class, incomplete = ids
    members = interface_members(interface)
    shape = ", ".join(f"{name}()" if is_method else name for name, is_method in members.items())
    hint = f"Set {setting} to the dotted path of a class with {shape}, like the default {default!r}."
    try:
        plugin = import_string(path) if isinstance(path, str) else None
    except Exception as error:  # ImportError for a wrong path; anything the module raises while importing
        return [checks.Error(f"{setting} = {path!r} cannot be imported: {error}", hint=hint, id=cannot_import)]
    if plugin is None:
        return [checks.Error(f"{setting} = {path!r} is not a dotted path.", hint=hint, id=cannot_import)]
    if not inspect.isclass(plugin):
        return [checks.Error(f"{setting} = {path!r} is not a class.", hint=hint, id=not_a_class)]
    missing = [
        name
        for name, is_method in members.items()
        if not hasattr(plugin, name) or (is_method and not callable(getattr(plugin, name)))
    ]
    if missing:
        what = f"the {interface.__qualname__} interface ({interface.__module__})"
        return [checks.Error(f"{setting} = {path!r} lacks {', '.join(missing)} of {what}.", hint=hint, id=incomplete)]
    return []
