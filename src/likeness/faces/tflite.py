"""The TFLite models inside the mediapipe wheel, run by LiteRT's interpreter.

``import mediapipe`` alone took 0.57–0.65 s on one core (it pulls in matplotlib and
protobuf) and each of its graphs 25–75 ms more to start. LiteRT (``ai-edge-litert``,
Apache-2.0: Google's TFLite runtime on its own, with the XNNPACK kernels mediapipe
uses) imports in 5–10 ms beside numpy and loads each file in 1–17 ms. The files are
located with ``importlib.util.find_spec`` (nothing of mediapipe is imported).

Before it, OpenCV's DNN module ran them. Measured one network at a time on one core
(5 Dec, stop 36; CPU ms per pass, LiteRT against cv2.dnn): palm detector 9.8 / 34.3,
hand landmarks full 7.9 / 27.3 and lite 3.8 / 14.6, full-range face detector 3.4 / 7.7,
short-range 1.1 / 2.0, the face mesh's first half 1.2 / 2.5, selfie segmentation
3.3 / 6.7; loading the hand models 9 + 3 ms against 42 + 13. LiteRT also runs the
full-range detector as shipped (sparse weights, depth-to-space), which OpenCV could
only import rewritten (39 ms of CPU a process).

The attention face-mesh model holds mediapipe's custom operators, which LiteRT does
not have either: it is run as two graphs cut around them by :func:`rewrite` in memory
(the caller does the operators in numpy).

Tensors are NHWC, as the models define them. Each network runs on one thread: the
studio's second core runs the worker thread (:mod:`likeness.beside`). Networks are
not thread-safe: each thread gets its own, loaded on first use.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import struct
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

_local = threading.local()

#: TFLite ``BuiltinOperator`` and ``TensorType`` values used here (schema.fbs).
_DEQUANTIZE = 6
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


class Net:
    """One graph in LiteRT's interpreter, its tensors by name: from the model's bytes,
    or from its file's path (mapped, not read)."""

    def __init__(self, model: bytes | str) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as e:
            from ..errors import ModelMissingError

            raise ModelMissingError(
                "The runtime for the face and person models (ai-edge-litert) is not installed.",
                hint="Install likeness with its dependencies (pip install likeness), which brings ai-edge-litert.",
            ) from e
        with _quiet_once():
            source = {"model_path": model} if isinstance(model, str) else {"model_content": model}
            self._it = Interpreter(**source, num_threads=1)
            self._it.allocate_tensors()
        self._inputs = {d["name"]: d["index"] for d in self._it.get_input_details()}
        self._outputs = {d["name"]: d["index"] for d in self._it.get_output_details()}

    @property
    def outputs(self) -> tuple[str, ...]:
        """The graph's output tensors' names, in its order."""
        return tuple(self._outputs)

    def run(self, inputs: np.ndarray | dict[str, np.ndarray], outputs: tuple[str, ...]) -> list[np.ndarray]:
        """The named outputs, in that order, for ``inputs``: the one input tensor
        (1×H×W×C float32), or each input tensor by name."""
        given = inputs if isinstance(inputs, dict) else {next(iter(self._inputs)): inputs}
        for name, value in given.items():
            self._it.set_tensor(self._inputs[name], np.ascontiguousarray(value, np.float32))
        self._it.invoke()
        return [self._it.get_tensor(self._outputs[name]) for name in outputs]


_QUIET_LOCK = threading.Lock()
_quieted = False


@contextlib.contextmanager
def _quiet_once():
    """Standard error closed while the process's first network is made: LiteRT writes
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." there then (once a
    process, from C++, with no setting to turn it off), which would land in the
    middle of the command line's output. Its errors still arrive as exceptions."""
    global _quieted
    with _QUIET_LOCK if not _quieted else contextlib.nullcontext():
        if _quieted:
            yield
            return
        sys.stderr.flush()
        saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        try:
            yield
            _quieted = True
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(null)


def net(name: str, *, inputs: tuple[str, ...] | None = None, outputs: tuple[str, ...] | None = None) -> Net:
    """The network in ``mediapipe/modules/<name>``, or the part of it :func:`rewrite`
    keeps, loaded once per thread."""
    nets = getattr(_local, "nets", None)
    if nets is None:
        nets = _local.nets = {}
    key = (name, inputs, outputs)
    n = nets.get(key)
    if n is None:
        n = nets[key] = Net(_model_bytes(key))
    return n


#: Models :func:`rewrite` changed, by :func:`net`'s key: made once a process, for every
#: thread (the studio loads the face mesh on two threads).
_REWRITTEN: dict[tuple, bytes] = {}
_REWRITTEN_LOCK = threading.Lock()


def _model_bytes(key: tuple) -> bytes:
    with _REWRITTEN_LOCK:
        done = _REWRITTEN.get(key)
    if done is not None:
        return done
    name, inputs, outputs = key
    raw = model_file(name).read_bytes()
    data = rewrite(raw, inputs=inputs, outputs=outputs)
    if data is not raw:  # an unchanged file is read again rather than kept in memory
        with _REWRITTEN_LOCK:
            _REWRITTEN[key] = data
    return data


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
    """1×H×W×3 float32 of an RGB uint8 view, values mapped from [0, 255] to [low, high]."""
    return (view.astype(np.float32) * np.float32((high - low) / 255.0) + np.float32(low))[None]


# --- rewrite: cut the graph; read operator options and constants -------------------
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


def rewrite(data: bytes, *, inputs: tuple[str, ...] | None = None, outputs: tuple[str, ...] | None = None) -> bytes:
    """The model narrowed to the part that computes ``outputs`` (tensor names) from
    ``inputs`` (tensor names; the network's own when None). Operators no output needs
    are dropped, which is how a graph around operators LiteRT lacks (mediapipe's
    custom ones) is run piece by piece. Without either, the model comes back unchanged.
    """
    if inputs is None and outputs is None:
        return data
    model = _Table(data, struct.unpack_from("<I", data, 0)[0])
    out = bytearray(data)
    for sg in model.tables(2):
        index = {t.string(3): i for i, t in enumerate(sg.tables(0))}
        ops_at, _ = sg.vector(3)
        ops = sg.tables(3)
        ins = [int(t) for t in sg.array(1, "<i4")]
        outs = [int(t) for t in sg.array(2, "<i4")]
        if inputs is not None:
            ins = [index[n] for n in inputs]
            _set_vector(out, sg, 1, np.array(ins, "<i4"))
        if outputs is not None:
            outs = [index[n] for n in outputs]
            _set_vector(out, sg, 2, np.array(outs, "<i4"))
        # Keep the operators some output needs, walking back from the outputs and
        # stopping at the inputs.
        needed, given = set(outs), set(ins)
        kept = []
        for i in reversed(range(len(ops))):
            made = {int(t) for t in ops[i].array(2, "<i4")}
            if not (needed & made) or made <= given:
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
