"""Stripe's own request definitions, read from the installed official ``stripe`` package, and a
checker of one request against them.

Why: our billing client and our sandbox were both written from our reading of Stripe's docs, and
most tests run one against the other, so a misspelt parameter or an enum value Stripe does not
have passes on both sides. The ``stripe`` package is generated from Stripe's OpenAPI spec: its
services say, per method, the HTTP verb, the path template and the ``params`` TypedDict; its
TypedDicts say every parameter's name, nesting, type and (as ``Literal[...]``) allowed values.
That makes it an independent referee for both sides of the wire.

Decisions (also in the sandbox README, "Request contract"):
- Values are judged as they travel on the wire (form strings): ``"2"`` is a valid integer,
  ``"true"`` a boolean; ``"abc"`` for an integer, or a hash where a string belongs, is a
  wrong type. Timestamps are integers (the package types them so), ``now`` where it says
  ``Literal['now']``.
- The package writes most enums as ``Literal['a', 'b']|str``: the ``|str`` lets code written
  for this SDK type-check against values a later API version adds. At our pinned version Stripe
  refuses anything outside the list, so an enum is judged by its ``Literal`` values only.
- ``Literal['']`` is Stripe's "send empty to unset": an empty string is allowed exactly there.
- ``expand[]`` entries are not checked (they name response fields, not parameters).
- The package's params classes for create/update/... sometimes inherit ``RequestOptions``
  (``api_key``, ``idempotency_key``, ...): those are client options, never wire parameters.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, Required

from typing_extensions import is_typeddict

from tui_portal.sandbox import params as p

# --- shapes --------------------------------------------------------------------------------------
# A parameter's type is a tuple of alternatives (``Literal['']|Hash`` is two); each alternative is
# one of the small classes below.


@dataclass(frozen=True)
class Scalar:
    kind: str  # "string", "integer", "number", "decimal" (a decimal string), "boolean", "any"


@dataclass(frozen=True)
class Choice:
    values: frozenset[str]


@dataclass(frozen=True)
class Empty:
    """``Literal['']``: the empty string that unsets a field."""


@dataclass(frozen=True)
class ArrayOf:
    item: tuple[Any, ...]


@dataclass(frozen=True)
class MapOf:
    """A free-keyed hash (``metadata``): any key, each value of one shape."""

    value: tuple[Any, ...]


@dataclass(eq=False)
class HashOf:
    """A TypedDict: named fields, some required."""

    name: str
    fields: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    required: frozenset[str] = frozenset()


Shape = tuple[Any, ...]

_REQUEST_OPTION_KEYS = frozenset(
    {"api_key", "stripe_version", "stripe_account", "stripe_context", "max_network_retries",
     "idempotency_key", "content_type", "headers"}
)


def _stripe_root() -> Path:
    import stripe

    return Path(stripe.__file__).resolve().parent


def _unwrap(annotation: Any, namespace: dict[str, Any]) -> Any:
    """Evaluate a (possibly string / forward-ref) annotation and strip ``NotRequired``/``Required``."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        annotation = eval(annotation, namespace)  # the stripe package's own annotations
    if typing.get_origin(annotation) in (NotRequired, Required):
        return _unwrap(typing.get_args(annotation)[0], namespace)
    return annotation


_HASH_CACHE: dict[type, HashOf] = {}


def shape_of(annotation: Any, namespace: dict[str, Any]) -> Shape:
    """The alternatives a parameter annotated ``annotation`` may take on the wire."""
    annotation = _unwrap(annotation, namespace)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        alternatives: list[Any] = []
        for arg in args:
            alternatives.extend(shape_of(arg, namespace))
        return _close_enums(alternatives)
    if origin is typing.Literal:
        strings = frozenset(_literal_text(value) for value in args)
        out: list[Any] = []
        if "" in strings:
            out.append(Empty())
        if strings - {""}:
            out.append(Choice(strings - {""}))
        return tuple(out)
    if origin in (list, typing.List, tuple, Iterable):  # noqa: UP006
        return (ArrayOf(shape_of(args[0], namespace) if args else (Scalar("any"),)),)
    if origin in (dict, typing.Dict, Mapping):  # noqa: UP006
        return (MapOf(shape_of(args[1], namespace) if len(args) == 2 else (Scalar("any"),)),)
    if origin is not None and getattr(origin, "__name__", "") == "UntypedStripeObject":
        return (MapOf(shape_of(args[0], namespace) if args else (Scalar("any"),)),)
    if is_typeddict(annotation):
        return (typeddict_shape(annotation),)
    if annotation is str:
        return (Scalar("string"),)
    if annotation is bool:
        return (Scalar("boolean"),)
    if annotation is int:
        return (Scalar("integer"),)
    if annotation is float:
        return (Scalar("number"),)
    if getattr(annotation, "__name__", "") == "Decimal":
        return (Scalar("decimal"),)
    if annotation is typing.Any or annotation is object:
        return (Scalar("any"),)
    raise TypeError(f"stripe_contract: no wire shape for annotation {annotation!r}")


def _literal_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _close_enums(alternatives: list[Any]) -> Shape:
    """Drop the SDK's forward-compatibility ``|str`` beside a ``Literal[...]`` (see module doc)."""
    if any(isinstance(alt, Choice) for alt in alternatives):
        alternatives = [alt for alt in alternatives if alt != Scalar("string")]
    choices = [alt for alt in alternatives if isinstance(alt, Choice)]
    if len(choices) > 1:
        merged = Choice(frozenset().union(*(choice.values for choice in choices)))
        alternatives = [alt for alt in alternatives if not isinstance(alt, Choice)] + [merged]
    unique: list[Any] = []
    for alt in alternatives:
        if alt not in unique:
            unique.append(alt)
    return tuple(unique)


def typeddict_shape(cls: type) -> HashOf:
    """A params TypedDict as a ``HashOf`` (request options left out, nested TypedDicts resolved)."""
    cached = _HASH_CACHE.get(cls)
    if cached is not None:
        return cached
    hash_shape = HashOf(name=cls.__name__)
    _HASH_CACHE[cls] = hash_shape  # before recursing: a TypedDict may (indirectly) contain itself
    namespace = dict(vars(importlib.import_module(cls.__module__)))
    required: set[str] = set()
    for key, annotation in cls.__annotations__.items():
        if key in _REQUEST_OPTION_KEYS:
            continue
        hash_shape.fields[key] = shape_of(annotation, namespace)
        if key in getattr(cls, "__required_keys__", frozenset()):
            required.add(key)
    hash_shape.required = frozenset(required)
    return hash_shape


# --- endpoints -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    verb: str
    template: str  # "/v1/customers/{customer}"
    params_module: str | None
    params_class: str | None
    service: str  # "stripe._customer_service.CustomerService.update", for messages

    def params_shape(self) -> HashOf:
        if self.params_class is None or self.params_module is None:
            return HashOf(name="(no params)")
        return typeddict_shape(getattr(importlib.import_module(self.params_module), self.params_class))


def _annotation_name(node: ast.expr | None) -> str | None:
    """``Optional["CustomerUpdateParams"]`` / ``"CustomerUpdateParams"`` -> the class name."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Optional":
        return _annotation_name(node.slice)
    return None


def _request_call(function: ast.FunctionDef) -> tuple[str, str] | None:
    """The (verb, path template) of the ``self._request(...)`` call in a service method."""
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("_request", "_request_stream") and len(node.args) >= 2):
            continue
        verb, path = node.args[0], node.args[1]
        if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute) and path.func.attr == "format":
            path = path.func.value
        if isinstance(verb, ast.Constant) and isinstance(path, ast.Constant):
            return str(verb.value).upper(), str(path.value)
    return None


@functools.cache
def stripe_endpoints() -> dict[tuple[str, str], Endpoint]:
    """(VERB, path template with ``{}`` placeholders) -> Endpoint, for every service method."""
    root = _stripe_root()
    endpoints: dict[tuple[str, str], Endpoint] = {}
    for path in sorted(root.rglob("_*_service.py")):
        module_name = "stripe." + ".".join(path.relative_to(root).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    imported[alias.asname or alias.name] = node.module
        for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
            for function in (node for node in cls.body if isinstance(node, ast.FunctionDef)):
                call = _request_call(function)
                if call is None:
                    continue
                verb, template = call
                if not template.startswith("/v1/"):
                    continue  # /v2 is a JSON API with its own encoding; our wire is v1's forms
                params_arg = next((arg for arg in function.args.args + function.args.kwonlyargs
                                   if arg.arg == "params"), None)
                class_name = _annotation_name(params_arg.annotation if params_arg else None)
                endpoint = Endpoint(
                    verb=verb, template=template,
                    params_module=imported.get(class_name) if class_name else None,
                    params_class=class_name if class_name in imported else None,
                    service=f"{module_name}.{cls.name}.{function.name}",
                )
                endpoints.setdefault((verb, template_key(template)), endpoint)
    return endpoints


def template_key(template: str) -> str:
    """``/v1/customers/{customer}`` and ``/v1/customers/{id}`` are the same route."""
    return re.sub(r"\{[^}]*\}", "{}", template)


@functools.cache
def _template_matchers() -> list[tuple[int, re.Pattern[str], str]]:
    templates = {key[1] for key in stripe_endpoints()}
    matchers = [
        (template.count("{}"), re.compile("^" + re.escape(template).replace(r"\{\}", "[^/]+") + "$"), template)
        for template in templates
    ]
    matchers.sort(key=lambda item: (item[0], item[2]))  # literal segments win (/v1/customers/search)
    return matchers


def find_endpoint(verb: str, path: str) -> Endpoint | None:
    """The Stripe endpoint a concrete request path (``/v1/customers/cus_123``) is sent to."""
    path = path.split("?", 1)[0]
    endpoints = stripe_endpoints()
    for _, regex, template in _template_matchers():
        if regex.match(path) and (verb.upper(), template) in endpoints:
            return endpoints[(verb.upper(), template)]
    return None


_ID_SEGMENT = re.compile(r"^[a-z]+_[A-Za-z0-9_]+$")


def path_template(verb: str, path: str) -> str:
    """The Stripe template of a path, or (unknown endpoint) the path with id-like segments as ``{}``."""
    endpoint = find_endpoint(verb, path)
    if endpoint is not None:
        return template_key(endpoint.template)
    segments = path.split("?", 1)[0].split("/")
    return "/".join("{}" if _ID_SEGMENT.match(segment) else segment for segment in segments)


# --- decoding ------------------------------------------------------------------------------------

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Form pairs (``items[0][price]=p``) -> nested dicts with string keys, leaves strings.

    Indexed and ``[]`` keys stay dicts keyed ``"0"``, ``"1"``...; the checker reads such a dict as
    an array where Stripe declares one (a ``metadata[0]`` key stays a key), as Stripe's decoder does.
    """
    root: dict[str, Any] = {}
    counters: dict[int, int] = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        parts = [head] + _KEY_PART.findall(key[len(head):])
        node = root
        for depth, part in enumerate(parts):
            if part == "":
                part = str(counters.get(id(node), 0))
                counters[id(node)] = int(part) + 1
            last = depth == len(parts) - 1
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
    return root


# --- checking ------------------------------------------------------------------------------------

_INTEGER = re.compile(r"^-?\d+$")


def _as_array(value: Any) -> list[Any] | None:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, dict) and all(isinstance(key, str) and key.isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    return None


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if isinstance(value, (dict, list, tuple)):
        return False
    if kind == "string":
        return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, str) and bool(_INTEGER.match(value)))
    if kind in ("number", "decimal"):
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        try:
            float(value)
        except (TypeError, ValueError):
            return False
        return True
    raise ValueError(kind)


def describe(shape: Shape) -> str:
    """A short human name for a shape: ``integer or 'now'``, ``hash``, ``array of string``."""
    names = []
    for alt in shape:
        if isinstance(alt, Scalar):
            names.append(alt.kind)
        elif isinstance(alt, Choice):
            values = sorted(alt.values)
            shown = ", ".join(repr(value) for value in values[:8])
            names.append(f"one of {shown}" + (f", ... ({len(values)} values)" if len(values) > 8 else ""))
        elif isinstance(alt, Empty):
            names.append("'' (unset)")
        elif isinstance(alt, ArrayOf):
            names.append("array")
        elif isinstance(alt, (MapOf, HashOf)):
            names.append("hash")
    return " or ".join(names) or "nothing"


def _wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_value(shape: Shape, value: Any, name: str) -> list[str]:
    """Violations of one value (``name`` is its full bracketed name) against its declared shape."""
    if value is None:
        return []  # the encoder omits None: nothing goes on the wire
    if isinstance(value, str) and value == "":
        return [] if any(isinstance(alt, Empty) for alt in shape) else [
            f"{name}: empty string not allowed (Stripe's '' unsets only where the package says Literal[''])"]
    failures: list[list[str]] = []
    for alt in shape:
        problems = _check_alternative(alt, value, name)
        if problems == []:
            return []
        if problems is not None:
            failures.append(problems)
    if failures:
        return min(failures, key=len)  # the alternative the value came closest to
    return [f"{name}: wrong type, expected {describe(shape)}, got {_kind_of(value)}"]


def _check_alternative(alt: Any, value: Any, name: str) -> list[str] | None:
    """Problems of ``value`` read as ``alt`` ([] = fits), or None when it is not that kind at all."""
    if isinstance(alt, Scalar):
        return [] if _scalar_ok(alt.kind, value) else None
    if isinstance(alt, Choice):
        if isinstance(value, (dict, list, tuple)):
            return None
        if _wire_text(value) in alt.values:
            return []
        return [f"{name}: value {_wire_text(value)!r} not allowed (allowed: {describe((alt,))[len('one of '):]})"]
    if isinstance(alt, ArrayOf):
        items = _as_array(value)
        if items is None:
            return None
        return [problem for index, item in enumerate(items)
                for problem in check_value(alt.item, item, f"{name}[{index}]")]
    if isinstance(alt, MapOf) and isinstance(value, dict):
        # Stripe: "Individual keys can be unset by posting an empty value to them."
        return [problem for key, item in value.items() if item != ""
                for problem in check_value(alt.value, item, f"{name}[{key}]")]
    if isinstance(alt, HashOf) and isinstance(value, dict):
        return check_hash(alt, value, name)
    return None


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "hash"
    if isinstance(value, (list, tuple)):
        return "array"
    return repr(_wire_text(value))


def check_hash(shape: HashOf, values: Mapping[str, Any], prefix: str = "") -> list[str]:
    problems: list[str] = []
    for key, value in values.items():
        full_name = f"{prefix}[{key}]" if prefix else key
        if key not in shape.fields:
            problems.append(f"{full_name}: unknown parameter (not in {shape.name})")
            continue
        if not prefix and key == "expand":
            continue
        problems.extend(check_value(shape.fields[key], value, full_name))
    for key in sorted(shape.required - set(values)):
        full_name = f"{prefix}[{key}]" if prefix else key
        problems.append(f"{full_name}: required parameter missing (required in {shape.name})")
    return problems


def check_request(verb: str, path: str, params: Mapping[str, Any] | None) -> list[str]:
    """Every way one request (decoded params as nested dicts/lists) differs from Stripe's definition."""
    verb = verb.upper()
    endpoint = find_endpoint(verb, path)
    if endpoint is None:
        return [f"unknown endpoint: {verb} {path_template(verb, path)}"]
    return check_hash(endpoint.params_shape(), dict(params or {}))


# --- the sandbox's declarations ------------------------------------------------------------------


def compare_declaration(param: p.Param, shape: Shape, name: str, *, empty_strings: bool = True) -> list[str]:
    """How one sandbox ``params.py`` declaration accepts what Stripe's shape does not.

    Checked: the name exists (recursively into hashes and arrays), the type is one Stripe
    declares, every enum value the sandbox accepts is one of Stripe's, and (``empty_strings``)
    ``""`` is accepted only where Stripe says ``Literal['']``. A sandbox stricter than Stripe
    (an enum where Stripe has a free string) is not a mismatch of names or types and passes.
    """
    problems: list[str] = []
    if empty_strings and param.clearable and not any(isinstance(alt, Empty) for alt in shape):
        problems.append(f"{name}: accepts '' (clearable) where Stripe does not declare Literal['']")
    if isinstance(param, p.Metadata):
        if not any(isinstance(alt, MapOf) for alt in shape):
            problems.append(f"{name}: metadata hash where Stripe declares {describe(shape)}")
        return problems
    if isinstance(param, p.Any_):
        return problems  # deliberately unchecked (validated by hand in the handler)
    if isinstance(param, p.Hash):
        hashes = [alt for alt in shape if isinstance(alt, HashOf)]
        maps = [alt for alt in shape if isinstance(alt, MapOf)]
        if hashes:
            target = hashes[0]
            for key, child in param.fields.items():
                if key not in target.fields:
                    problems.append(f"{name}[{key}]: not a parameter of {target.name}")
                else:
                    problems.extend(compare_declaration(child, target.fields[key], f"{name}[{key}]",
                                                       empty_strings=empty_strings))
        elif maps:
            for key, child in param.fields.items():
                problems.extend(compare_declaration(child, maps[0].value, f"{name}[{key}]",
                                                    empty_strings=empty_strings))
        else:
            problems.append(f"{name}: hash where Stripe declares {describe(shape)}")
        return problems
    if isinstance(param, p.Array):
        arrays = [alt for alt in shape if isinstance(alt, ArrayOf)]
        if not arrays:
            problems.append(f"{name}: array where Stripe declares {describe(shape)}")
            return problems
        return problems + compare_declaration(param.item, arrays[0].item, f"{name}[]", empty_strings=empty_strings)
    kinds = {alt.kind for alt in shape if isinstance(alt, Scalar)}
    choices = frozenset().union(*(alt.values for alt in shape if isinstance(alt, Choice)))
    if "any" in kinds:
        return problems
    if isinstance(param, p.Bool):
        if "boolean" not in kinds:
            problems.append(f"{name}: boolean where Stripe declares {describe(shape)}")
    elif isinstance(param, p.Timestamp):
        if not kinds & {"integer", "number"}:
            problems.append(f"{name}: timestamp where Stripe declares {describe(shape)}")
        extra = set(param.allow) - choices
        if extra:
            problems.append(f"{name}: accepts {', '.join(sorted(extra))} where Stripe declares {describe(shape)}")
    elif isinstance(param, p.Int):
        if not kinds & {"integer", "number"}:
            problems.append(f"{name}: integer where Stripe declares {describe(shape)}")
    elif isinstance(param, p.Num):
        if not kinds & {"number", "decimal"}:
            problems.append(f"{name}: decimal where Stripe declares {describe(shape)}")
    elif isinstance(param, p.Str):
        if param.choices is not None:
            if "string" not in kinds:
                extra = set(param.choices) - choices
                if extra:
                    problems.append(f"{name}: accepts {', '.join(sorted(extra))}, not among Stripe's "
                                    f"{describe(shape)}")
        elif not kinds & {"string", "decimal", "number"} and not choices:
            # A decimal or float arrives as text; a Str() declaration there is parsed exactly by its
            # handler (unit_amount_decimal, tax rate percentage).
            problems.append(f"{name}: string where Stripe declares {describe(shape)}")
    else:
        problems.append(f"{name}: declaration {type(param).__name__} not understood by the contract check")
    return problems


def compare_route(method: str, pattern: str, spec: Mapping[str, p.Param], *, empty_strings: bool = True) -> list[str]:
    """Every declared parameter of one sandbox route that Stripe's package does not accept."""
    endpoint = stripe_endpoints().get((method.upper(), template_key(pattern)))
    if endpoint is None:
        return [f"{method} {pattern}: no such endpoint in the stripe package"]
    shape = endpoint.params_shape()
    problems: list[str] = []
    for key, param in spec.items():
        if key not in shape.fields:
            problems.append(f"{key}: not a parameter of {shape.name}")
        else:
            problems.extend(compare_declaration(param, shape.fields[key], key, empty_strings=empty_strings))
    return [f"{method} {pattern}: {problem}" for problem in problems]
