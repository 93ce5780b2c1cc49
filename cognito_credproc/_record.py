"""Frozen records that cost nothing to import.

The cache-hit path is a few milliseconds of this package's own work on top of
starting Python; ``dataclasses`` alone (it imports ``inspect``) would add about
nine. At runtime ``record`` builds ``__init__``, ``__eq__``, ``__repr__`` and
immutability from the class annotations; type checkers see a frozen dataclass.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    _T = TypeVar("_T")


def _record(cls: type[_T]) -> type[_T]:
    # inspect.get_annotations would cost the import this module exists to avoid.
    own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    names = [n for n in own if not n.startswith("_")]
    defaults = {n: cls.__dict__[n] for n in names if n in cls.__dict__}
    hidden = set(getattr(cls, "_hidden_in_repr", ()))
    required = [n for n in names if n not in defaults]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__} takes at most {len(names)} positional arguments")
        values = dict(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"{cls.__name__} got an unexpected argument {key!r}")
            if key in values:
                raise TypeError(f"{cls.__name__} got {key!r} twice")
            values[key] = value
        missing = [n for n in required if n not in values]
        if missing:
            raise TypeError(f"{cls.__name__} is missing {', '.join(missing)}")
        for name in names:
            object.__setattr__(self, name, values.get(name, defaults.get(name)))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        raise AttributeError(f"{cls.__name__} is immutable")

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in names)

    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in names))

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{n}={'...' if n in hidden else repr(getattr(self, n))}" for n in names)
        return f"{cls.__name__}({shown})"

    for name in names:
        if name in cls.__dict__:
            delattr(cls, name)
    for name, method in (
        ("__init__", __init__),
        ("__setattr__", __setattr__),
        ("__eq__", __eq__),
        ("__hash__", __hash__),
        ("__repr__", __repr__),
    ):
        setattr(cls, name, method)
    cls.__match_args__ = tuple(names)  # type: ignore[attr-defined,misc]
    return cls


if TYPE_CHECKING:
    from typing_extensions import dataclass_transform

    @dataclass_transform(frozen_default=True)
    def record(cls: type[_T]) -> type[_T]: ...

else:
    record = _record
