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
from collections.abc import Callable, Mapping
from functools import cache
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


Check = Callable[[Any], Problem | None]
Takes = Callable[[Any], bool]
_SCALARS = (str, int, bool, type(None))  # hold no float: nothing for _non_finite to find


def _accept(value: Any) -> Problem | None:
    return None


def _anything(value: Any) -> Problem | None:
    """The check of a type with no rule of its own: no NaN or ±Infinity, also deep inside."""
    if type(value) in _SCALARS:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return (), _finite_error()
    if (where := _non_finite(value)) is not None:
        return where, _finite_error()
    return None


def _check_bool(value: Any) -> Problem | None:
    # What lax mode would read as a boolean (1, 0.0, "yes", "off"); anything else it refuses
    # itself, and a union of bool with other types must leave those values to the others.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    return (), _bool_error()


def _number_check(kind: str) -> Check:
    def check(value: Any) -> Problem | None:
        if isinstance(value, bool):
            return (), _number_error(kind)
        if isinstance(value, str):
            # Lax mode reads "5" as 5; a client that sends numbers as strings has a bug to see.
            return (), _number_error(kind, "a string")
        return _anything(value)

    return check


def _temporal_check(kind: str) -> Check:
    def check(value: Any) -> Problem | None:
        # Lax mode reads a number as seconds since 1970; other values it refuses itself.
        return ((), _date_error(kind)) if isinstance(value, int | float) else None

    return check


def _union_check(members: list[tuple[Takes, Check]]) -> Check:
    """A union is content when a member takes the value as it is and finds nothing lax in it.
    A member that would refuse the value outright (a string member, for ``true``) says
    nothing: pydantic then tries the others, where lax mode would coerce (``true`` to the id
    1), so their refusal stands."""
    def check(value: Any) -> Problem | None:
        if value is None:
            return None
        taken: list[Problem] = []
        other: list[Problem] = []
        for takes, member in members:
            problem = member(value)
            if takes(value):
                if problem is None:
                    return None
                taken.append(problem)
            elif problem is not None:
                other.append(problem)
        # The fault inside a member that takes the value is the one to name (an item of a
        # list); else what lax mode would coerce in another member.
        found = taken or other
        return found[0] if found else None

    return check


def _instance_of(*kinds: type, not_bool: bool = False) -> Takes:
    if not_bool:
        return lambda value: isinstance(value, kinds) and not isinstance(value, bool)
    return lambda value: isinstance(value, kinds)


def _takes(annotation: Any) -> Takes:
    """Whether a field of type ``annotation`` takes ``value`` as it is (what strict mode
    would take; dates and timestamps as strings): a member of a union that does not is not
    the one pydantic picks. Types without a rule here take anything."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [_takes(arg) for arg in get_args(annotation)]
        return lambda value: any(takes(value) for takes in members)
    if origin is Literal:
        allowed = get_args(annotation)
        return lambda value: any(type(value) is type(option) and value == option
                                 for option in allowed)
    if annotation is type(None):
        return lambda value: value is None
    if annotation is bool:
        return _instance_of(bool)
    if annotation is int:
        return _instance_of(int, not_bool=True)
    if annotation is float:
        return _instance_of(int, float, not_bool=True)
    if annotation is str:
        return _instance_of(str)
    if annotation in _DATETIMES:
        return _instance_of(str, dt.datetime)
    if annotation in _DATES:
        return _instance_of(str, dt.date)
    if origin in (list, set, frozenset, tuple):
        return _instance_of(list, tuple)
    if origin is dict:
        return _instance_of(Mapping)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _instance_of(Mapping, annotation)
    return lambda _value: True


def _sequence_check(item: Check | None) -> Check:
    """``item`` None: a tuple of fixed length, whose members pydantic judges on its own."""
    def check(value: Any) -> Problem | None:
        if isinstance(value, float) and not math.isfinite(value):
            return (), _finite_error()
        if not isinstance(value, list | tuple):
            return _anything(value)
        if item is not None:
            for index, element in enumerate(value):
                if (found := item(element)) is not None:
                    return (index, *found[0]), found[1]
        return None

    return check


def _mapping_check(item: Check) -> Check:
    def check(value: Any) -> Problem | None:
        if isinstance(value, float) and not math.isfinite(value):
            return (), _finite_error()
        if isinstance(value, Mapping):
            for key, element in value.items():
                if (found := item(element)) is not None:
                    return (str(key), *found[0]), found[1]
            return None
        return _anything(value)

    return check


def _check_for(annotation: Any) -> Check:
    """What lax mode would silently coerce in a value for ``annotation``, as a function of the
    value: where and what is wrong, or None (pydantic's own validation then judges the rest).
    Worked out once per field, not per value: a batch of 500 survey answers validates 13,500
    fields, and reading the annotation each time was half the batch's CPU."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _check_for(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return _union_check([(_takes(arg), _check_for(arg)) for arg in get_args(annotation)
                             if arg is not type(None)])
    if origin is Literal:
        return _accept
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _accept  # a nested model checks its own fields
    if annotation is bool:
        return _check_bool
    if annotation in (int, float):
        return _number_check(annotation.__name__)
    if annotation in _DATETIMES:
        return _temporal_check("datetime")
    if annotation in _DATES:
        return _temporal_check("date")
    if origin in (list, set, frozenset, tuple):
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        if len(args) == 1 or origin is not tuple:
            return _sequence_check(_check_for(args[0]) if args else _anything)
        return _sequence_check(None)
    if origin is dict:
        key_value = get_args(annotation)
        return _mapping_check(_check_for(key_value[1]) if len(key_value) == 2 else _anything)
    return _anything


@cache
def _field_checks(model: type[BaseModel]) -> tuple[tuple[str, Check], ...]:
    return tuple((field.alias or name, _check_for(field.annotation))
                 for name, field in model.model_fields.items())


class StrictInput(BaseModel):
    """Base of every request body model (and the models nested in one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @model_validator(mode="wrap")
    @classmethod
    def _no_lax_coercion(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if not isinstance(data, Mapping):
            return handler(data)
        refused: list[InitErrorDetails] = []
        for key, check in _field_checks(cls):
            if key not in data:
                continue
            found = check(data[key])
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
