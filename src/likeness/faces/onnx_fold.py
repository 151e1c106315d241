"""Constant ``DequantizeLinear`` nodes of an ONNX model folded into float32 weights.

OpenCV Zoo's SFace ships with its weights block-quantised to int8 (29
``DequantizeLinear`` nodes, 10.7 MB). They are folded once into float32 weights, the
first step of its conversion to TFLite (:mod:`.sface_tflite`). The float values are
``(q − zero_point) · scale`` in float32, as OpenCV's importer computes them (OpenCV
ran SFace until stop 37, reading the folded file with bit-identical embeddings).

A small reader and writer of protobuf's wire format, enough for ``ModelProto`` →
``GraphProto`` → ``NodeProto`` / ``TensorProto`` (the ``onnx`` package is not a
dependency): every other field is copied byte for byte. Only nodes whose inputs are
all initializers with raw data are folded (per tensor, per axis, or in blocks that
divide the axis); any other node is left as it is. :func:`read_graph` gives the
folded graph's nodes and constants to :mod:`.sface_tflite`, which writes SFace for
LiteRT.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: ONNX ``TensorProto.DataType`` values read here.
_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 7: np.int64}
_FLOAT = 1
# Field numbers (onnx.proto3).
_MODEL_GRAPH = 7
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_INPUT = 1, 5, 11
_VALUE_NAME = 1
_NODE_INPUT, _NODE_OUTPUT, _NODE_OP, _NODE_ATTRIBUTE = 1, 2, 4, 5
_ATTR_NAME, _ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 3, 8
_TENSOR_DIMS, _TENSOR_TYPE, _TENSOR_FLOATS, _TENSOR_INT64S, _TENSOR_NAME, _TENSOR_RAW = 1, 2, 4, 7, 8, 9


def _varint(b: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return value, i


def _fields(b: memoryview) -> Iterator[tuple[int, int, int | memoryview, int, int]]:
    """(field number, wire type, value, start, end) of each field of a message."""
    i, n = 0, len(b)
    while i < n:
        start = i
        key, i = _varint(b, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(b, i)
        elif wire == 2:
            size, i = _varint(b, i)
            value, i = b[i : i + size], i + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, i = b[i : i + size], i + size
        else:
            raise ValueError(f"protobuf wire type {wire} is not read here")
        yield number, wire, value, start, i


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        c, value = value & 0x7F, value >> 7
        if not value:
            out.append(c)
            return bytes(out)
        out.append(c | 0x80)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


def _packed(v: memoryview) -> list[int]:
    out, j = [], 0
    while j < len(v):
        d, j = _varint(v, j)
        out.append(d)
    return out


def _initializer(b: memoryview) -> tuple[str, np.ndarray | None]:
    """(name, values) of a TensorProto (raw data, or float / int64 values written
    out); values None for a type not read here."""
    dims: list[int] = []
    dtype = name = raw = None
    listed: list = []
    for number, wire, value, _s, _e in _fields(b):
        if number == _TENSOR_DIMS:
            dims += [value] if wire == 0 else _packed(value)
        elif number == _TENSOR_TYPE:
            dtype = value
        elif number == _TENSOR_NAME:
            name = bytes(value).decode()
        elif number == _TENSOR_RAW:
            raw = value
        elif number == _TENSOR_FLOATS:
            listed += np.frombuffer(value, "<f4").tolist()
        elif number == _TENSOR_INT64S:
            listed += [value] if wire == 0 else _packed(value)
    if dtype not in _DTYPES:
        return name or "", None
    if raw is not None:
        return name or "", np.frombuffer(raw, _DTYPES[dtype]).reshape(dims)
    values = np.array(listed, _DTYPES[dtype])
    return name or "", values.reshape(dims) if dims and values.size == int(np.prod(dims)) else values


def _node(b: memoryview) -> tuple[list[str], list[str], str, dict[str, int | float | list[int]]]:
    """(inputs, outputs, operator, attributes) of a NodeProto; attributes that are an
    int, a float or a list of ints (others are not read)."""
    inputs: list[str] = []
    outputs: list[str] = []
    op, attrs = "", {}
    for number, _w, value, _s, _e in _fields(b):
        if number == _NODE_INPUT:
            inputs.append(bytes(value).decode())
        elif number == _NODE_OUTPUT:
            outputs.append(bytes(value).decode())
        elif number == _NODE_OP:
            op = bytes(value).decode()
        elif number == _NODE_ATTRIBUTE:
            name, v, ints = None, None, []
            for n2, w2, v2, _s2, _e2 in _fields(value):
                if n2 == _ATTR_NAME:
                    name = bytes(v2).decode()
                elif n2 == _ATTR_INT:
                    v = v2 - (1 << 64) if v2 >= 1 << 63 else v2  # int64 as two's complement
                elif n2 == _ATTR_FLOAT:
                    v = float(np.frombuffer(v2, "<f4")[0])
                elif n2 == _ATTR_INTS:
                    ints += [v2] if w2 == 0 else _packed(v2)
            if name is not None and (v is not None or ints):
                attrs[name] = ints if ints else v
    return inputs, outputs, op, attrs


def read_graph(data: bytes) -> tuple[dict[str, np.ndarray | None], list[tuple[str, list[str], list[str], dict]]]:
    """The constants (by name) and the nodes (operator, inputs, outputs, attributes),
    in order, of the ONNX model ``data``."""
    top = {n: v for n, _w, v, _s, _e in _fields(memoryview(data))}
    consts: dict[str, np.ndarray | None] = {}
    nodes = []
    for n, _w, v, _s, _e in _fields(top[_MODEL_GRAPH]):
        if n == _GRAPH_INITIALIZER:
            name, values = _initializer(v)
            consts[name] = values
        elif n == _GRAPH_NODE:
            inputs, outputs, op, attrs = _node(v)
            nodes.append((op, inputs, outputs, attrs))
    return consts, nodes


def dequantize(q: np.ndarray, scale: np.ndarray, zero: np.ndarray | None, *, axis: int = 1,
               block: int = 0) -> np.ndarray | None:
    """``(q − zero) · scale`` in float32, with ONNX's broadcasting: per tensor (one
    scale), per ``axis``, or in blocks of ``block`` along it. None where the blocks do
    not divide the axis (left to OpenCV)."""
    y = q.astype(np.float32)
    z = None if zero is None else zero.astype(np.float32)
    if scale.size == 1:
        if z is not None:
            y -= z.reshape(())
        y *= scale.reshape(())
        return y
    ax = axis % q.ndim
    if block:
        if scale.shape[ax] * block != q.shape[ax]:
            return None
        shape = [*q.shape[:ax], scale.shape[ax], block, *q.shape[ax + 1 :]]
        yb = y.reshape(shape)
        if z is not None:
            yb -= np.expand_dims(z, ax + 1)
        yb *= np.expand_dims(scale, ax + 1)
        return yb.reshape(q.shape)
    shape = [1] * q.ndim
    shape[ax] = -1
    if z is not None:
        y -= z.reshape(shape)
    y *= scale.reshape(shape)
    return y


def fold(data: bytes) -> tuple[bytes, int]:
    """The model ``data`` with each constant ``DequantizeLinear`` replaced by a float32
    initializer of its output's name (the int8 initializers it alone used dropped),
    and how many nodes were folded."""
    mv = memoryview(data)
    top = list(_fields(mv))
    graph_field = next((f for f in top if f[0] == _MODEL_GRAPH), None)
    if graph_field is None:
        return data, 0
    graph_bytes = graph_field[2]
    graph = list(_fields(graph_bytes))
    inits = {name: (k, values) for k, (n, _w, v, _s, _e) in enumerate(graph) if n == _GRAPH_INITIALIZER
             for name, values in [_initializer(v)]}
    nodes = [(k, _node(v)) for k, (n, _w, v, _s, _e) in enumerate(graph) if n == _GRAPH_NODE]
    drop: set[int] = set()
    added: list[bytes] = []
    folded_inputs: set[str] = set()
    for k, (inputs, outputs, op, attrs) in nodes:
        names = [i for i in inputs if i]
        if op != "DequantizeLinear" or len(names) < 2 or len(outputs) != 1 or not all(i in inits for i in names):
            continue
        q, scale = inits[inputs[0]][1], inits[inputs[1]][1]
        zero = inits[inputs[2]][1] if len(inputs) > 2 and inputs[2] else None
        if q is None or scale is None or scale.dtype != np.float32 or (len(inputs) > 2 and inputs[2] and zero is None):
            continue
        y = dequantize(q, scale, zero, axis=int(attrs.get("axis", 1)), block=int(attrs.get("block_size", 0)))
        if y is None:
            continue
        drop.add(k)
        folded_inputs.update(names)
        tensor = b"".join([*(_encode_varint(_TENSOR_DIMS << 3) + _encode_varint(d) for d in y.shape),
                           _encode_varint(_TENSOR_TYPE << 3) + _encode_varint(_FLOAT),
                           _bytes_field(_TENSOR_NAME, outputs[0].encode()), _bytes_field(_TENSOR_RAW, y.tobytes())])
        added.append(_bytes_field(_GRAPH_INITIALIZER, tensor))
    if not added:
        return data, 0
    # Kept: what a node that stays reads, and what the graph lists as an input (an
    # older exporter lists every initializer there too).
    still_used = {i for k, (inputs, *_rest) in nodes if k not in drop for i in inputs}
    still_used |= {bytes(v2).decode() for n, _w, v, _s, _e in graph if n == _GRAPH_INPUT
                   for n2, _w2, v2, _s2, _e2 in _fields(v) if n2 == _VALUE_NAME}
    drop.update(inits[name][0] for name in folded_inputs - still_used)
    new_graph = b"".join([*(graph_bytes[s:e] for k, (_n, _w, _v, s, e) in enumerate(graph) if k not in drop), *added])
    out = [_bytes_field(_MODEL_GRAPH, new_graph) if f[0] == _MODEL_GRAPH else mv[f[3] : f[4]] for f in top]
    return b"".join(out), len(added)
