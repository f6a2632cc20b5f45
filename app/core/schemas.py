"""The two bases every request and reply shape derives from.

``ReadModel`` (replies): every field the server sends is ``required`` in the spec, even when it
has a default. Generated clients then type it as present (``string | null``), not as optional
*and* nullable.

``StrictInput`` (request bodies): unknown fields refused, strings stripped, and no coercion a
client could not have meant. Pydantic's lax mode would read ``"yes"``, ``"on"`` or ``1`` as
``true`` and ``0`` as 1970-01-01; JSON as Python parses it also lets ``NaN`` and ``Infinity``
through. Here a boolean must be a JSON boolean, a date or timestamp a string, and a number
neither ``true``/``false`` nor infinite or NaN (also inside free-form values such as survey
answers), each refused as 422 naming the field.
"""

import datetime as dt
import math
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    FutureDate,
    FutureDatetime,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError
from pydantic_core._pydantic_core import list_all_errors


class ReadModel(BaseModel):
    """Base of every reply model: every field is ``required`` in the spec, since the server
    always sends every field of a reply (``null`` where the type allows), defaults included.

    Pydantic's ``json_schema_serialization_defaults_required`` would say the same, but only in
    serialization mode; the spec is written in one mode for both directions
    (``separate_input_output_schemas=False``, no ``-Input``/``-Output`` twins), and a per-model
    ``json_schema_mode_override`` makes FastAPI emit dangling references for models reached
    both ways. So the reply models mark their properties required themselves."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        properties = target.get("properties")
        if properties:
            target["required"] = list(properties)
        return schema


def _bool_error() -> PydanticCustomError:
    return PydanticCustomError("bool_type", "Input should be a valid boolean (true or false)")


def _date_error(kind: str) -> PydanticCustomError:
    return PydanticCustomError(
        f"{kind}_type", f"Input should be a {kind} in ISO 8601 form (a string), not a number")


def _number_error(kind: str, given: str = "true or false") -> PydanticCustomError:
    kind_name = "an integer" if kind == "int" else "a number"
    return PydanticCustomError(f"{kind}_type", f"Input should be {kind_name}, not {given}")


def _finite_error() -> PydanticCustomError:
    return PydanticCustomError("finite_number", "Input should be a finite number (no NaN or Infinity)")


def _non_finite(value: Any, depth: int = 0) -> tuple[str | int, ...] | None:
    """Where a NaN or ±Infinity hides in a JSON-like value (``()``: the value itself)."""
    if isinstance(value, float):
        return None if math.isfinite(value) else ()
    if depth > 64:
        return None
    items: Any = None
    if isinstance(value, list | tuple):
        items = enumerate(value)
    elif isinstance(value, Mapping):
        items = ((str(key), item) for key, item in value.items())
    for key, item in items or ():
        if (inner := _non_finite(item, depth + 1)) is not None:
            return (key, *inner)
    return None


_DATETIMES = (dt.datetime, AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)
_DATES = (dt.date, PastDate, FutureDate)

Loc = tuple[str | int, ...]
Problem = tuple[Loc, PydanticCustomError]


def _problem(annotation: Any, value: Any) -> Problem | None:
    """Where and what is wrong with ``value`` for ``annotation`` that lax mode would silently
    coerce; None when nothing is (pydantic's own validation then judges the rest)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _problem(get_args(annotation)[0], value)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        problems = [_problem(member, value) for member in members]
        return None if any(p is None for p in problems) else problems[0]
    if origin is Literal:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return None  # a nested model checks its own fields
    if annotation is bool:
        return None if isinstance(value, bool) else ((), _bool_error())
    if annotation in (int, float) and isinstance(value, bool):
        return (), _number_error(annotation.__name__)
    if annotation in (int, float) and isinstance(value, str):
        # Lax mode reads "5" as 5; a client that sends numbers as strings has a bug to see.
        return (), _number_error(annotation.__name__, "a string")
    if annotation in _DATETIMES:
        return None if isinstance(value, str | dt.datetime) else ((), _date_error("datetime"))
    if annotation in _DATES:
        return None if isinstance(value, str | dt.date) else ((), _date_error("date"))
    if isinstance(value, float) and not math.isfinite(value):
        return (), _finite_error()
    if origin in (list, set, frozenset, tuple) and isinstance(value, list | tuple):
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        if len(args) == 1 or origin is not tuple:
            item_type = args[0] if args else Any
            for index, item in enumerate(value):
                if (found := _problem(item_type, item)) is not None:
                    return (index, *found[0]), found[1]
        return None
    if origin is dict and isinstance(value, Mapping):
        key_value = get_args(annotation)
        item_type = key_value[1] if len(key_value) == 2 else Any
        for key, item in value.items():
            if (found := _problem(item_type, item)) is not None:
                return (str(key), *found[0]), found[1]
        return None
    if (where := _non_finite(value)) is not None:
        return where, _finite_error()
    return None


class StrictInput(BaseModel):
    """Base of every request body model (and the models nested in one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @model_validator(mode="wrap")
    @classmethod
    def _no_lax_coercion(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if not isinstance(data, Mapping):
            return handler(data)
        refused: list[InitErrorDetails] = []
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key not in data:
                continue
            found = _problem(field.annotation, data[key])
            if found is not None:
                loc, error = found
                refused.append(InitErrorDetails(type=error, loc=(key, *loc), input=data[key]))
        if not refused:
            return handler(data)
        # Report the other fields' faults too, as for any invalid body (one round trip).
        refused_keys = {error["loc"][0] for error in refused}
        try:
            handler(data)
        except ValidationError as exc:
            refused.extend(_carried(error) for error in exc.errors(include_url=False)
                           if not error["loc"] or error["loc"][0] not in refused_keys)
        raise ValidationError.from_exception_data(cls.__name__, refused)


_KNOWN_ERROR_TYPES = frozenset(info["type"] for info in list_all_errors())


def _carried(error: Any) -> InitErrorDetails:
    """A field error of the lax validation, kept as it was (its type and context, so a
    validator further out can rebuild it) beside the refused coercions."""
    details = InitErrorDetails(type=error["type"], loc=error["loc"], input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    if error["type"] not in _KNOWN_ERROR_TYPES:
        details["type"] = PydanticCustomError(error["type"], error["msg"])
        details.pop("ctx", None)
    return details
