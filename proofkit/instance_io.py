"""Generic JSON encoding of claim instances, exact to the last bit.

An instance (see :mod:`proofkit.claims`) is a dict of named values: Python numbers,
strings, booleans, ``None``, NumPy arrays and scalars, :class:`~proofkit.SobolevProblem`
(through ``to_dict``/``from_dict``), the network records ``Network``/``BiasedNetwork``, and
lists, tuples or dicts of those.  :func:`encode_instance` turns one into plain JSON under the
schema tag :data:`SCHEMA`; :func:`decode_instance` inverts it.  Finite floats are written with
``repr`` (which round-trips float64 exactly); non-finite ones, which JSON cannot hold, as
tagged objects (a NaN keeps its bit pattern).  Malformed input raises
:class:`~proofkit.errors.InputError` naming the field.

>>> import numpy as np
>>> inst = {"t": 0.1, "W": np.array([[1.0, 2.5e-300]]), "m": 3, "tag": ("a", None)}
>>> back = decode_instance(encode_instance(inst))
>>> back["t"] == 0.1 and back["W"].tobytes() == inst["W"].tobytes() and back["tag"]
('a', None)
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["SCHEMA", "decode_instance", "decode_value", "encode_instance", "encode_value",
           "jsonable"]

SCHEMA = "proofkit.instance/1"
_TAG = "__type__"
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _float_out(v: float):
    v = float(v)
    if math.isfinite(v):
        return v
    if math.isnan(v):  # keep the payload and sign bits too: replay is bit for bit
        return {_TAG: "float", "value": "nan", "bits": struct.pack(">d", v).hex()}
    return {_TAG: "float", "value": "inf" if v > 0 else "-inf"}


def _float_report(v: float) -> float | str:
    f = float(v)
    return f if math.isfinite(f) else ("nan" if math.isnan(f) else ("inf" if f > 0 else "-inf"))


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, str, int, float, np.integer, np.bool_, np.floating))


def _scalar(v: Any, float_out: Callable[[float], Any]) -> Any:
    """A Python or NumPy scalar as plain JSON data, floats through ``float_out``."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    return float_out(v)


def encode_value(v: Any, *, where: str = "instance") -> Any:
    """One value as JSON-able data; ``where`` names the field in error messages."""
    from .problem import SobolevProblem

    if _is_scalar(v):
        return _scalar(v, _float_out)
    if isinstance(v, SobolevProblem):
        return {_TAG: "SobolevProblem", "data": v.to_dict()}
    if hasattr(v, "_fields") and type(v).__name__ in ("Network", "BiasedNetwork"):
        return {_TAG: type(v).__name__,
                "fields": {f: encode_value(getattr(v, f), where=f"{where}.{f}") for f in v._fields}}
    if isinstance(v, np.ndarray) or hasattr(v, "__array_namespace__"):
        from .backend import to_numpy

        a = to_numpy(v)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{where}: arrays of dtype {a.dtype} cannot be encoded")
        flat = a.ravel().tolist()
        if a.dtype.kind == "f":
            flat = [_float_out(x) for x in flat]
        return {_TAG: "ndarray", "dtype": a.dtype.str, "shape": list(a.shape), "data": flat}
    if isinstance(v, tuple):
        return {_TAG: "tuple", "items": [encode_value(x, where=f"{where}[{i}]")
                                         for i, x in enumerate(v)]}
    if isinstance(v, list):
        return [encode_value(x, where=f"{where}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, Mapping):
        if _TAG in v:
            raise TypeError(f"{where}: dict keys may not include the reserved key {_TAG!r}")
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: dict key {k!r} is not a string")
            out[k] = encode_value(x, where=f"{where}.{k}")
        return out
    raise TypeError(f"{where} has type {type(v).__name__}; instances may hold numbers, "
                    "strings, NumPy arrays, SobolevProblem, Network and lists/tuples/dicts of them")


def encode_instance(instance: Mapping[str, Any]) -> dict:
    """``{"schema": SCHEMA, "values": {...}}`` for an instance dict."""
    if not isinstance(instance, Mapping):
        raise TypeError(f"an instance must be a dict, got {type(instance).__name__}")
    return {"schema": SCHEMA, "values": encode_value(dict(instance))}


def _bad(where: str, rule: str) -> InputError:
    return InputError(f"field {where!r} {rule}")


def _float_in(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, dict)):
        raise _bad(where, f"is {type(x).__name__}; expected a number")
    if isinstance(x, dict):
        if x.get(_TAG) != "float" or x.get("value") not in _NONFINITE:
            raise _bad(where, "is an object; expected a number or a tagged non-finite float")
        if x["value"] == "nan" and "bits" in x:
            try:
                return struct.unpack(">d", bytes.fromhex(x["bits"]))[0]
            except (TypeError, ValueError, struct.error):
                raise _bad(f"{where}.bits", "must be 16 hex digits") from None
        return _NONFINITE[x["value"]]
    return float(x)


def decode_value(v: Any, *, where: str = "instance") -> Any:
    """Inverse of :func:`encode_value`; malformed data raises ``InputError`` naming ``where``."""
    from .problem import ProblemError, SobolevProblem

    if v is None or isinstance(v, (bool, str, int, float)):
        return v
    if isinstance(v, list):
        return [decode_value(x, where=f"{where}[{i}]") for i, x in enumerate(v)]
    if not isinstance(v, dict):
        raise _bad(where, f"has unsupported JSON type {type(v).__name__}")
    tag = v.get(_TAG)
    if tag is None:
        return {k: decode_value(x, where=f"{where}.{k}") for k, x in v.items()}
    if tag == "float":
        return _float_in(v, where)
    if tag == "tuple":
        items = v.get("items")
        if not isinstance(items, list):
            raise _bad(f"{where}.items", "must be a list")
        return tuple(decode_value(x, where=f"{where}[{i}]") for i, x in enumerate(items))
    if tag == "ndarray":
        return _decode_array(v, where)
    if tag == "SobolevProblem":
        try:
            return SobolevProblem.from_dict(v.get("data"))
        except ProblemError as exc:
            raise _bad(f"{where}.data", f"is not a valid problem: {exc}") from None
    if tag in ("Network", "BiasedNetwork"):
        from .network import BiasedNetwork, Network

        cls = Network if tag == "Network" else BiasedNetwork
        fields = v.get("fields")
        if not isinstance(fields, dict) or set(fields) != set(cls._fields):
            raise _bad(f"{where}.fields", f"must hold exactly {list(cls._fields)}")
        return cls(**{f: decode_value(fields[f], where=f"{where}.{f}") for f in cls._fields})
    raise _bad(f"{where}.{_TAG}", f"is {tag!r}; not a known type tag")


def _decode_array(v: dict, where: str) -> np.ndarray:
    try:
        dtype = np.dtype(v["dtype"])
        shape = tuple(int(s) for s in v["shape"])
        data = v["data"]
    except KeyError as exc:
        raise _bad(where, f"is an array missing the key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise _bad(where, f"has a bad dtype or shape: {exc}") from None
    if dtype.kind not in "biuf" or any(s < 0 for s in shape):
        raise _bad(where, f"has dtype {dtype} / shape {shape}; expected a numeric array")
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise _bad(f"{where}.data", f"must be a flat list of {math.prod(shape)} entries")
    if dtype.kind == "f":
        data = [_float_in(x, f"{where}.data[{i}]") for i, x in enumerate(data)]
    else:
        for i, x in enumerate(data):
            if isinstance(x, float) or not isinstance(x, (int, bool)):
                raise _bad(f"{where}.data[{i}]", f"is {x!r}; expected an integer")
    return np.array(data, dtype=dtype).reshape(shape)


def decode_instance(obj: Any, *, where: str = "instance") -> dict:
    """Inverse of :func:`encode_instance`; checks the schema tag."""
    if not isinstance(obj, dict):
        raise _bad(where, f"is {type(obj).__name__}; expected an object")
    if obj.get("schema") != SCHEMA:
        raise _bad(f"{where}.schema", f"is {obj.get('schema')!r}; expected {SCHEMA!r}")
    values = obj.get("values")
    if not isinstance(values, dict):
        raise _bad(f"{where}.values", "must be an object")
    return decode_value(values, where=f"{where}.values")


def jsonable(v: Any) -> Any:
    """Plain JSON data for reports: NumPy scalars/arrays to Python, non-finite floats to
    the strings ``"nan"``, ``"inf"``, ``"-inf"`` (strict JSON has no such numbers)."""
    if _is_scalar(v):
        return _scalar(v, _float_report)
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, Mapping):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if hasattr(v, "value") and isinstance(v.value, str):  # enums such as Verdict
        return v.value
    return str(v)
