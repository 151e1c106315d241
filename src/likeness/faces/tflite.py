"""The TFLite models inside the mediapipe wheel, run by OpenCV's DNN module.

``import mediapipe`` alone took 0.57–0.65 s on one core (it pulls in matplotlib and
protobuf) and each of its graphs 25–75 ms more to start; ``cv2.dnn`` loads the same
files in 2–30 ms each. The files are located with ``importlib.util.find_spec``
(nothing is imported). Two need help first, done by :func:`rewrite` in memory:

- the full-range face detector keeps most 1×1 convolution weights sparse behind
  ``DENSIFY`` operators and ends in ``DEPTH_TO_SPACE``, neither of which OpenCV can
  import: the weights are made dense and the graph ends before the depth-to-space
  (which the caller does in numpy);
- the attention face-mesh model holds mediapipe's custom operators: it is run as two
  graphs cut around them (the caller does them in numpy).

Networks are not thread-safe: each thread gets its own, loaded on first use.
"""

from __future__ import annotations

import importlib.util
import struct
import threading
from pathlib import Path

import cv2
import numpy as np

_local = threading.local()

#: TFLite ``BuiltinOperator`` and ``TensorType`` values used here (schema.fbs).
_DENSIFY = 124
_DEQUANTIZE = 6
DEPTH_TO_SPACE = 5
_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 9: np.int8}


def model_file(name: str) -> Path:
    """Path of ``mediapipe/modules/<name>`` in the installed wheel (not imported)."""
    from ..errors import ModelMissingError

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(
            "The face and person models (they ship inside the mediapipe wheel) are not installed.",
            hint="Install likeness with its dependencies (pip install likeness), which brings mediapipe==0.10.14.",
            model=name,
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "modules" / name
    if not path.is_file():
        raise ModelMissingError(
            f"The model file {name} is missing from the installed mediapipe wheel.",
            hint="Reinstall mediapipe==0.10.14 (pip install --force-reinstall --no-deps mediapipe==0.10.14).",
            model=name,
        )
    return path


def net(
    name: str,
    *,
    cut_before: int | None = None,
    inputs: tuple[str, ...] | None = None,
    outputs: tuple[str, ...] | None = None,
) -> cv2.dnn.Net:
    """The network in ``mediapipe/modules/<name>``, or the part of it :func:`rewrite`
    keeps, loaded once per thread."""
    nets = getattr(_local, "nets", None)
    if nets is None:
        nets = _local.nets = {}
    key = (name, cut_before, inputs, outputs)
    n = nets.get(key)
    if n is None:
        n = nets[key] = cv2.dnn.readNetFromTFLite(np.frombuffer(_model_bytes(key), np.uint8))
    return n


#: Models :func:`rewrite` changed, by :func:`net`'s key: made once a process, for every
#: thread (densifying the full-range detector costs 39 ms of CPU; the studio loads it
#: on two threads).
_REWRITTEN: dict[tuple, bytes] = {}
_REWRITTEN_LOCK = threading.Lock()


def _model_bytes(key: tuple) -> bytes:
    with _REWRITTEN_LOCK:
        done = _REWRITTEN.get(key)
    if done is not None:
        return done
    name, cut_before, inputs, outputs = key
    raw = model_file(name).read_bytes()
    data = rewrite(raw, cut_before=cut_before, inputs=inputs, outputs=outputs)
    if data is not raw:  # an unchanged file is read again rather than kept in memory
        with _REWRITTEN_LOCK:
            _REWRITTEN[key] = data
    return data


def forward(n: cv2.dnn.Net, blob: np.ndarray, outputs: tuple[str, ...]) -> list[np.ndarray]:
    """Run ``n`` on an N×C×H×W float32 blob; the named outputs, in that order."""
    n.setInput(blob)
    return list(n.forward(list(outputs)))


def warp(
    image: np.ndarray,
    *,
    center: tuple[float, float],
    side: tuple[float, float],
    angle: float,
    size: tuple[int, int],
    border: int,
    flip: bool = False,
) -> np.ndarray:
    """A rotated rectangle of ``image`` (centre px, side px, angle radians) stretched
    to ``size`` (w, h), as mediapipe's ImageToTensor does on the CPU: a bilinear
    perspective warp of the rectangle's corners onto the output's corners. Matching
    it matters more than resampling well: the models were trained on its output."""
    w, h = size
    box = cv2.boxPoints(((float(center[0]), float(center[1])), (float(side[0]), float(side[1])), float(np.degrees(angle))))
    dst = np.array([[0, h], [0, 0], [w, 0], [w, h]], np.float32)
    m = cv2.getPerspectiveTransform(box.astype(np.float32), dst)
    view = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=border)
    return view[:, ::-1] if flip else view


def blob(view: np.ndarray, *, low: float, high: float) -> np.ndarray:
    """1×3×H×W float32 of an RGB uint8 view, values mapped from [0, 255] to [low, high]."""
    x = view.astype(np.float32) * np.float32((high - low) / 255.0) + np.float32(low)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


# --- rewrite: sparse (DENSIFY) weights into plain constants, cut the graph ---------
#
# A flatbuffer is read through vtables: a table at ``pos`` starts with a signed offset to
# its vtable, which lists each field's offset inside the table (0 = absent). References
# (uoffset) always point forward, so new tables appended at the end of the file can be
# referenced from anywhere before them; that lets us patch the model without rewriting it.


class _Table:
    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf, self.pos = buf, pos
        self.vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vlen = struct.unpack_from("<H", buf, self.vt)[0]

    def _field(self, slot: int) -> int:
        o = 4 + 2 * slot
        return struct.unpack_from("<H", self.buf, self.vt + o)[0] if o < self.vlen else 0

    def scalar(self, slot: int, fmt: str, default: int = 0) -> int:
        o = self._field(slot)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + o)[0] if o else default

    def _ref(self, slot: int) -> int | None:
        o = self._field(slot)
        if not o:
            return None
        p = self.pos + o
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, slot: int) -> _Table | None:
        p = self._ref(slot)
        return None if p is None else _Table(self.buf, p)

    def vector(self, slot: int) -> tuple[int, int]:
        """(position of the first element, length); (0, 0) when absent."""
        p = self._ref(slot)
        return (0, 0) if p is None else (p + 4, struct.unpack_from("<I", self.buf, p)[0])

    def item(self, slot: int, i: int) -> _Table:
        """Element ``i`` of a vector of tables (without reading the others)."""
        p, _ = self.vector(slot)
        p += 4 * i
        return _Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0])

    def tables(self, slot: int) -> list[_Table]:
        p, n = self.vector(slot)
        return [_Table(self.buf, p + 4 * i + struct.unpack_from("<I", self.buf, p + 4 * i)[0]) for i in range(n)]

    def string(self, slot: int) -> str:
        p, n = self.vector(slot)
        return bytes(self.buf[p : p + n]).decode() if n else ""

    def array(self, slot: int, dtype: type) -> np.ndarray:
        p, n = self.vector(slot)
        return np.frombuffer(self.buf, dtype, n, p) if n else np.zeros(0, dtype)


def rewrite(
    data: bytes,
    *,
    cut_before: int | None = None,
    inputs: tuple[str, ...] | None = None,
    outputs: tuple[str, ...] | None = None,
) -> bytes:
    """The model with every DENSIFY operator replaced by the dense constant it makes,
    narrowed to the part that computes ``outputs`` (tensor names) from ``inputs``
    (tensor names; the network's own when None). ``cut_before`` (a BuiltinOperator
    code) is a shorthand for outputs: the inputs of the operators of that kind, in
    graph order. Operators no output needs are dropped, which is how a graph around
    operators OpenCV lacks (mediapipe's custom ones) is run piece by piece.

    A model that needs none of this comes back unchanged. Only the plain CSR sparse
    layout (identity traversal order, no blocks) is handled: the one mediapipe's
    full-range face detector uses; anything else raises ``ValueError``.
    """
    model = _Table(data, struct.unpack_from("<I", data, 0)[0])
    codes = [max(c.scalar(0, "b"), c.scalar(3, "i")) for c in model.tables(1)]
    if _DENSIFY not in codes and cut_before not in codes and inputs is None and outputs is None:
        return data
    out = bytearray(data)
    buffers_at, _ = model.vector(4)
    for sg in model.tables(2):
        tensors = sg.tables(0)
        index = {t.string(3): i for i, t in enumerate(tensors)} if inputs or outputs else {}
        ops_at, _ = sg.vector(3)
        ops = sg.tables(3)
        op_code = [codes[op.scalar(0, "I")] for op in ops]
        for op, code in zip(ops, op_code):
            if code != _DENSIFY:
                continue
            src, dst = tensors[int(op.array(1, "<i4")[0])], tensors[int(op.array(2, "<i4")[0])]
            dense = _sparse_to_dense(src, model.item(4, src.scalar(2, "I")))
            target = dst.scalar(2, "I")
            if target == 0:  # buffer 0 is the shared empty one; never the case in practice
                raise ValueError("DENSIFY output shares the empty buffer; cannot patch this model.")
            table = _append_buffer(out, dense.tobytes())
            entry = buffers_at + 4 * target
            struct.pack_into("<I", out, entry, table - entry)
        ins = [int(t) for t in sg.array(1, "<i4")]
        outs = [int(t) for t in sg.array(2, "<i4")]
        if inputs is not None:
            ins = [index[n] for n in inputs]
            _set_vector(out, sg, 1, np.array(ins, "<i4"))
        if cut_before in op_code:
            outs = [int(op.array(1, "<i4")[0]) for op, c in zip(ops, op_code) if c == cut_before]
        if outputs is not None:
            outs = [index[n] for n in outputs]
        if cut_before in op_code or outputs is not None:
            _set_vector(out, sg, 2, np.array(outs, "<i4"))
        # Keep the operators some output needs, walking back from the outputs and
        # stopping at the inputs; a DENSIFY's output is a constant now.
        needed, given = set(outs), set(ins)
        kept = []
        for i in reversed(range(len(ops))):
            made = {int(t) for t in ops[i].array(2, "<i4")}
            if op_code[i] == _DENSIFY or not (needed & made) or made <= given:
                continue
            needed.update(int(t) for t in ops[i].array(1, "<i4") if t >= 0)
            kept.append(i)
        # The operator list shrinks in place: each entry is an offset relative to
        # itself, so a moved entry is re-based; the length prefix drops.
        for j, i in enumerate(sorted(kept)):
            entry = ops_at + 4 * j
            struct.pack_into("<I", out, entry, ops[i].pos - entry)
        struct.pack_into("<I", out, ops_at - 4, len(kept))
    return bytes(out)


def custom_options(data: bytes) -> dict[str, list[dict]]:
    """The options of each custom operator in the (first) graph, by operator name, in
    graph order (mediapipe stores them as a FlexBuffer map)."""
    from flatbuffers import flexbuffers

    model = _Table(data, struct.unpack_from("<I", data, 0)[0])
    names = [c.string(1) for c in model.tables(1)]
    found: dict[str, list[dict]] = {}
    for op in model.tables(2)[0].tables(3):
        name = names[op.scalar(0, "I")]
        if name:
            raw = op.array(5, np.uint8)
            found.setdefault(name, []).append(flexbuffers.Loads(bytes(raw)) if len(raw) else {})
    return found


def constants(data: bytes, names: tuple[str, ...]) -> list[np.ndarray]:
    """The values of constant tensors (float32), following a DEQUANTIZE to its source."""
    model = _Table(data, struct.unpack_from("<I", data, 0)[0])
    codes = [max(c.scalar(0, "b"), c.scalar(3, "i")) for c in model.tables(1)]
    sg = model.tables(2)[0]
    tensors = sg.tables(0)
    index = {t.string(3): i for i, t in enumerate(tensors)}
    source = {}
    for op in sg.tables(3):
        if codes[op.scalar(0, "I")] == _DEQUANTIZE:
            source[int(op.array(2, "<i4")[0])] = int(op.array(1, "<i4")[0])
    out = []
    for name in names:
        tensor = tensors[source.get(index[name], index[name])]
        dtype = np.dtype(_DTYPES[tensor.scalar(1, "b")]).newbyteorder("<")
        raw = model.item(4, tensor.scalar(2, "I")).array(0, np.uint8)
        out.append(raw.view(dtype).astype(np.float32).reshape([int(v) for v in tensor.array(0, "<i4")]))
    return out


def _set_vector(out: bytearray, table: _Table, slot: int, values: np.ndarray) -> None:
    """Point ``table``'s vector field at a new vector appended to ``out``."""
    field = table.pos + table._field(slot)
    out.extend(b"\0" * (-len(out) % 4))
    vec = len(out)
    out.extend(struct.pack("<I", len(values)) + values.tobytes())
    struct.pack_into("<I", out, field, vec - field)


def _sparse_to_dense(tensor: _Table, buffer: _Table) -> np.ndarray:
    shape = [int(v) for v in tensor.array(0, "<i4")]
    dtype = np.dtype(_DTYPES[tensor.scalar(1, "b")]).newbyteorder("<")
    values = buffer.array(0, np.uint8).view(dtype)
    sparsity = tensor.table(6)
    if sparsity is None:
        raise ValueError("DENSIFY input carries no sparsity parameters.")
    order = [int(v) for v in sparsity.array(0, "<i4")]
    if order != list(range(len(shape))) or len(sparsity.array(1, "<i4")):
        raise ValueError(f"Unsupported sparse layout (traversal {order}, blocks present).")
    # Walk the dimensions: ``pos`` indexes each node in the format's own storage, ``flat``
    # is its row-major index in the dense tensor.
    pos = np.zeros(1, np.int64)
    flat = np.zeros(1, np.int64)
    for dim, meta in zip(shape, sparsity.tables(2)):
        if meta.scalar(0, "b") == 0:  # DENSE
            size = meta.scalar(1, "i")
            k = np.arange(size, dtype=np.int64)
            pos = (pos[:, None] * size + k).ravel()
            flat = (flat[:, None] * dim + k).ravel()
        else:  # SPARSE_CSR: children of node p are segments[p] .. segments[p + 1]
            segments = _index_vector(meta, 2)
            indices = _index_vector(meta, 4)
            starts, stops = segments[pos], segments[pos + 1]
            counts = stops - starts
            child = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
            flat = np.repeat(flat, counts) * dim + indices[child]
            pos = child
    dense = np.zeros(int(np.prod(shape)), dtype)
    dense[flat] = values[pos]  # values are stored in the last dimension's order
    return dense.reshape(shape)


def _index_vector(meta: _Table, slot: int) -> np.ndarray:
    kind = meta.scalar(slot, "B")  # union type: Int32Vector, Uint16Vector, Uint8Vector
    dtype = {1: "<i4", 2: "<u2", 3: "u1"}[kind]
    inner = meta.table(slot + 1)
    assert inner is not None
    return inner.array(0, dtype).astype(np.int64)


def _append_buffer(out: bytearray, payload: bytes) -> int:
    """Append a ``Buffer {data: [ubyte]}`` table to ``out``; its position."""
    out.extend(b"\0" * (-len(out) % 4))
    vtable = len(out)
    out.extend(struct.pack("<HHH2x", 6, 8, 4))  # vtable size, table size, data's offset
    table = len(out)
    out.extend(b"\0" * 8)
    out.extend(b"\0" * (-(len(out) + 4) % 16))  # tensor data 16-byte aligned, as TFLite does
    vec = len(out)
    out.extend(struct.pack("<I", len(payload)))
    out.extend(payload)
    struct.pack_into("<iI", out, table, table - vtable, vec - (table + 4))
    return table
