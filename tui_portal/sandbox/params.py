"""Declared request parameters: every endpoint says what it accepts, with simple types.

Why: Stripe rejects unknown parameters (400 `parameter_unknown`) and wrong types (400 with `param`)
before doing anything, and such failures are not stored for idempotency. Declaring params also
documents each endpoint. Validation turns wire strings into Python values:

- absent key        -> absent from `ctx.params`
- `""` (empty)      -> `None` if the param is `clearable=True` (an explicit "unset"), else 400
                       `parameter_invalid_empty`
- nested brackets   -> dicts; indexed/`[]` lists -> Python lists
"""

from __future__ import annotations

import re
from typing import Any

from . import errors
from .metadata import apply_metadata  # noqa: F401  (re-exported: routes import it with the param types)


class Param:
    """Base class. `required`: 400 parameter_missing when absent. `clearable`: `""` means unset (-> None)."""

    def __init__(self, *, required: bool = False, clearable: bool = False) -> None:
        self.required = required
        self.clearable = clearable

    def validate(self, value: Any, name: str) -> Any:
        if isinstance(value, str) and value == "":
            if self.clearable:
                return None
            raise errors.invalid_empty(name)
        return self.convert(value, name)

    def convert(self, value: Any, name: str) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


class Any_(Param):
    """Accepts whatever was sent (already decoded into str/dict/list). Use sparingly."""

    def validate(self, value: Any, name: str) -> Any:
        if value == "" and self.clearable:
            return None
        return value

    def convert(self, value: Any, name: str) -> Any:
        return value


class Str(Param):
    def __init__(self, *, choices: tuple[str, ...] | list[str] | None = None, max_length: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = tuple(choices) if choices else None
        self.max_length = max_length

    def convert(self, value: Any, name: str) -> str:
        if not isinstance(value, str):
            raise errors.StripeError(f"Invalid string: {_show(value)}", param=name)
        if self.choices is not None and value not in self.choices:
            raise errors.StripeError(f"Invalid {name}: must be one of {_one_of(self.choices)}", param=name)
        if self.max_length is not None and len(value) > self.max_length:
            raise errors.StripeError(
                f"Invalid {name}: must be at most {self.max_length} characters", param=name)
        return value


def Enum(*choices: str, **kwargs: Any) -> Str:  # noqa: N802 - reads like a type in specs
    return Str(choices=choices, **kwargs)


_INT_RE = re.compile(r"^-?\d+$")


class Int(Param):
    def __init__(self, *, min: int | None = None, max: int | None = None, **kwargs: Any) -> None:  # noqa: A002
        super().__init__(**kwargs)
        self.min = min
        self.max = max

    def convert(self, value: Any, name: str) -> int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _INT_RE.match(value))):
            raise errors.StripeError(f"Invalid integer: {_show(value)}", code="parameter_invalid_integer", param=name)
        number = int(value)
        if self.min is not None and number < self.min:
            raise errors.StripeError(f"Invalid {name}: must be greater than or equal to {self.min}",
                                     code="parameter_invalid_integer", param=name)
        if self.max is not None and number > self.max:
            raise errors.StripeError(f"Invalid {name}: must be less than or equal to {self.max}",
                                     code="parameter_invalid_integer", param=name)
        return number


class Num(Param):
    """A decimal number (e.g. `percent_off=25.5`), returned as float (never used for money)."""

    def __init__(self, *, min: float | None = None, max: float | None = None, **kwargs: Any) -> None:  # noqa: A002
        super().__init__(**kwargs)
        self.min = min
        self.max = max

    def convert(self, value: Any, name: str) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise errors.StripeError(f"Invalid decimal: {_show(value)}", param=name) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise errors.StripeError(f"Invalid decimal: {_show(value)}", param=name)
        if self.min is not None and number < self.min:
            raise errors.StripeError(f"Invalid {name}: must be at least {self.min}", param=name)
        if self.max is not None and number > self.max:
            raise errors.StripeError(f"Invalid {name}: must be at most {self.max}", param=name)
        return number


class Bool(Param):
    def convert(self, value: Any, name: str) -> bool:
        if value is True or value == "true":
            return True
        if value is False or value == "false":
            return False
        raise errors.StripeError(f"Invalid boolean: {_show(value)}", param=name)


class Timestamp(Param):
    """Unix seconds; with `allow_now=True` also the literal `now` (returned as the string "now").

    Not a subclass of `Int`: it may return a string, so it cannot stand wherever an `Int` is expected."""

    def __init__(self, *, allow: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow = allow
        self._seconds = Int(min=0)

    def convert(self, value: Any, name: str) -> int | str:
        if isinstance(value, str) and value in self.allow:
            return value
        return self._seconds.convert(value, name)


class Hash(Param):
    """A nested object with declared keys (unknown keys -> parameter_unknown `a[b]`)."""

    def __init__(self, fields: dict[str, Param], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields = fields

    def convert(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise errors.StripeError("Invalid object", param=name)
        return validate_fields(self.fields, value, prefix=name)


class Array(Param):
    """A list. Accepts `a[0]=x&a[1]=y` (indexed, any order) and `a[]=x&a[]=y`."""

    def __init__(self, item: Param, *, max_items: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.max_items = max_items

    def convert(self, value: Any, name: str) -> list[Any]:
        items = as_list(value)
        if items is None:
            raise errors.StripeError("Invalid array", param=name)
        if self.max_items is not None and len(items) > self.max_items:
            raise errors.StripeError(f"Invalid array: {name} may contain at most {self.max_items} items", param=name)
        result = []
        for index, item in enumerate(items):
            item_name = f"{name}[{index}]"
            if isinstance(item, str) and item == "" and not self.item.clearable:
                raise errors.invalid_empty(item_name)
            result.append(self.item.validate(item, item_name))
        return result


class Metadata(Param):
    """`metadata[k]=v`; `metadata[k]=` -> {k: None} (delete key k); `metadata=` -> None (clear all)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("clearable", True)
        super().__init__(**kwargs)

    def convert(self, value: Any, name: str) -> dict[str, str | None]:
        if not isinstance(value, dict):
            raise errors.StripeError("Invalid object", param=name)
        if len(value) > 50:
            raise errors.StripeError("Invalid metadata: at most 50 keys", param=name)
        result: dict[str, str | None] = {}
        for key, item in value.items():
            if not isinstance(item, str):
                raise errors.StripeError("Invalid metadata: values must be strings", param=f"{name}[{key}]")
            if len(key) > 40:
                raise errors.StripeError("Metadata keys can have up to 40 characters", param=f"{name}[{key}]")
            if len(item) > 500:
                raise errors.StripeError("Metadata values can have up to 500 characters", param=f"{name}[{key}]")
            result[key] = item if item != "" else None
        return result


def as_list(value: Any) -> list[Any] | None:
    """A decoded form value as a list: lists stay, dicts with integer keys are ordered by index."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if not all(isinstance(key, str) and key.isdigit() for key in value):
            return None
        return [value[key] for key in sorted(value, key=int)]
    return None


def validate_fields(spec: dict[str, Param], values: dict[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """Check `values` against `spec`: unknown keys, then missing required ones, then each value's type."""
    for key in values:
        if key not in spec:
            raise errors.unknown(f"{prefix}[{key}]" if prefix else key)
    result: dict[str, Any] = {}
    for key, param in spec.items():
        full_name = f"{prefix}[{key}]" if prefix else key
        if key not in values:
            if param.required:
                raise errors.missing(full_name)
            continue
        value = param.validate(values[key], full_name)
        if value is None and param.required:
            raise errors.invalid_empty(full_name)
        result[key] = value
    return result


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    return str(value)


def _one_of(choices: tuple[str, ...]) -> str:
    if len(choices) == 1:
        return choices[0]
    return ", ".join(choices[:-1]) + f", or {choices[-1]}"


# Params every list endpoint accepts (merge into a route's spec: `params={**LIST, "email": Str()}`).
CREATED_RANGE = Any_()  # validated by lists.created_filter (int or gt/gte/lt/lte hash)
PAGE: dict[str, Param] = {
    "limit": Int(min=1, max=100),
    "starting_after": Str(),
    "ending_before": Str(),
}
# Stripe filters by `created` on most lists but not all: lists whose stripe params class has no
# `created` (tests/stripe_contract.py checks) declare PAGE instead.
LIST: dict[str, Param] = {**PAGE, "created": CREATED_RANGE}
