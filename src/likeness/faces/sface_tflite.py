"""SFace's ONNX graph written out as a TFLite model, so LiteRT runs it (:mod:`.sface`).

OpenCV's DNN module ran SFace at 31–35 ms of CPU per face on one core; the same
network in LiteRT's XNNPACK kernels takes 12 ms, and loads in 40 ms instead of 60–80
(5 Dec, stop 37). The network is a plain chain (MobileFaceNet-like): an input scaling,
27 convolutions (full or depthwise) each with batch normalisation and PReLU, a last
batch normalisation, a flattening and a fully connected layer with its own batch
normalisation. :func:`convert` writes each as the TFLite operator that computes it:

- a batch normalisation is folded into the convolution or fully connected layer
  before or after it (what OpenCV's importer does too);
- weights go from ONNX's NCHW to TFLite's NHWC order (the fully connected layer's
  columns follow the flattening's order);
- a strided convolution padded by one on every side gets an explicit ``PAD`` (TFLite's
  ``SAME`` would pad only after, shifting the grid by a pixel).

Any other operator raises ``ValueError``: the converter reads this one model (its
wheel file is pinned by sha256) and makes no claim about others. The input is the
RGB 112×112 chip, values 0–255 (OpenCV's ``FaceRecognizerSF`` swaps its BGR chip to
RGB before the network). Features agree with OpenCV's within 8e-6 of their largest
value on the chips measured (``tests/test_sface.py`` holds them to 1e-4).

The TFLite file is written with the ``flatbuffers`` package (a dependency of
LiteRT) from the schema's field numbers below (``tensorflow/lite/schema/schema.fbs``).
"""

from __future__ import annotations

import numpy as np

#: TFLite BuiltinOperator codes, BuiltinOptions union members and enum values.
_ADD, _CONV, _DEPTHWISE, _FULLY_CONNECTED, _MUL, _PAD, _PRELU = 0, 3, 4, 9, 18, 34, 54
_OPTIONS = {_CONV: 1, _DEPTHWISE: 2, _FULLY_CONNECTED: 8, _ADD: 11, _MUL: 21}
_SAME, _VALID = 0, 1
_FLOAT32, _INT32 = 0, 2
CHIP = 112


class _Graph:
    """Tensors, constant buffers and operators of one TFLite subgraph, NHWC."""

    def __init__(self) -> None:
        self.tensors: list[tuple[list[int], int, int, str]] = []  # shape, type, buffer, name
        self.buffers: list[bytes] = [b""]  # buffer 0: none (activations)
        self.ops: list[tuple[int, list[int], list[int], tuple]] = []  # code, inputs, outputs, options

    def const(self, values: np.ndarray, name: str) -> int:
        values = np.ascontiguousarray(values)
        self.buffers.append(values.astype(values.dtype.newbyteorder("<")).tobytes())
        kind = _INT32 if values.dtype == np.int32 else _FLOAT32
        self.tensors.append((list(values.shape), kind, len(self.buffers) - 1, name))
        return len(self.tensors) - 1

    def act(self, shape: list[int], name: str) -> int:
        self.tensors.append((shape, _FLOAT32, 0, name))
        return len(self.tensors) - 1

    def op(self, code: int, inputs: list[int], shape: list[int], name: str, options: tuple = ()) -> int:
        out = self.act(shape, name)
        self.ops.append((code, inputs, [out], options))
        return out


def _layers(consts: dict, nodes: list) -> list[tuple]:
    """The chain as (kind, values…) steps, constant-only nodes evaluated; each other
    node must read the one before it (a chain, no branches)."""
    val = dict(consts)
    steps: list[tuple] = []
    current = None  # the activation the chain has reached
    for op, ins, outs, at in nodes:
        if op == "Constant" or (op == "Reshape" and all(val.get(i) is not None for i in ins)):
            if op == "Reshape":
                val[outs[0]] = val[ins[0]].reshape([int(d) for d in val[ins[1]]])
            continue
        if current is not None and ins[0] != current:
            raise ValueError(f"SFace's graph branches at {op} (the converter reads a chain)")
        current = outs[0]
        if op == "Dropout":  # the identity at inference
            continue
        if op in ("Sub", "Mul") and val.get(ins[1]) is not None and val[ins[1]].size == 1:
            steps.append((op, float(val[ins[1]].reshape(()))))
        elif op == "Conv" and val.get(ins[1]) is not None and list(at.get("dilations", [1, 1])) == [1, 1]:
            w = val[ins[1]].astype(np.float64)
            b = val[ins[2]].astype(np.float64) if len(ins) > 2 else np.zeros(w.shape[0])
            steps.append(("conv", w, b, int(at.get("group", 1)), list(at["strides"]), list(at["pads"])))
        elif op == "BatchNormalization":
            g, beta, mean, var = (val[i].astype(np.float64).reshape(-1) for i in ins[1:5])
            s = g / np.sqrt(var + float(at.get("epsilon", 1e-5)))
            steps.append(("bn", s, beta - mean * s))
        elif op == "PRelu" and val.get(ins[1]) is not None:
            steps.append(("prelu", val[ins[1]].reshape(-1).astype(np.float32)))
        elif op == "Flatten" and int(at.get("axis", 1)) == 1:
            steps.append(("flatten",))
        elif op == "Gemm" and at.get("transB") == 1 and not at.get("transA") and at.get("alpha", 1.0) == 1.0:
            steps.append(("fc", val[ins[1]].astype(np.float64), val[ins[2]].astype(np.float64)))
        else:
            raise ValueError(f"SFace's converter does not convert the ONNX operator {op} here")
    return steps


def _graph(steps: list[tuple]) -> tuple[_Graph, int, int]:
    g = _Graph()
    h = w = CHIP
    c = 3
    x = first = g.act([1, h, w, c], "chip")
    k = 0
    while k < len(steps):
        kind = steps[k][0]
        nxt = steps[k + 1] if k + 1 < len(steps) else ("",)
        if kind in ("Sub", "Mul"):  # x − v as x + (−v): the same float
            v = -steps[k][1] if kind == "Sub" else steps[k][1]
            code = _ADD if kind == "Sub" else _MUL
            x = g.op(code, [x, g.const(np.float32([v]), f"{kind.lower()}.value")], [1, h, w, c], kind.lower(), (code,))
            k += 1
        elif kind == "conv":
            _, wt, b, groups, (sy, sx), pads = steps[k]
            if nxt[0] == "bn":  # folded into the weights and bias
                wt, b = wt * nxt[1][:, None, None, None], b * nxt[1] + nxt[2]
                k += 1
            kh, kw = wt.shape[2:]
            if pads == [0, 0, 0, 0]:
                padding = _VALID
            elif (sy, sx) == (1, 1) and pads == [kh // 2, kw // 2, kh // 2, kw // 2]:
                padding = _SAME
            else:  # ONNX pads (top, left, bottom, right) before the window starts
                amounts = np.int32([[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]])
                h, w = h + pads[0] + pads[2], w + pads[1] + pads[3]
                x = g.op(_PAD, [x, g.const(amounts, "pad.amounts")], [1, h, w, c], "pad")
                padding = _VALID
            if padding == _VALID:
                h, w = (h - kh) // sy + 1, (w - kw) // sx + 1
            else:
                h, w = -(-h // sy), -(-w // sx)
            out = wt.shape[0]
            if groups == 1:
                code, filt = _CONV, wt.transpose(0, 2, 3, 1)  # O,I,H,W → O,H,W,I
            elif groups == c == out and wt.shape[1] == 1:
                code, filt = _DEPTHWISE, wt[:, 0].transpose(1, 2, 0)[None]  # 1,H,W,O
            else:
                raise ValueError(f"a grouped convolution ({groups} groups) is not converted")
            x = g.op(code, [x, g.const(filt.astype(np.float32), "conv.weights"),
                            g.const(b.astype(np.float32), "conv.bias")], [1, h, w, out], "conv",
                     (code, padding, sx, sy))
            c = out
            k += 1
        elif kind == "prelu":
            x = g.op(_PRELU, [x, g.const(steps[k][1].reshape(1, 1, -1), "prelu.slopes")], [1, h, w, c], "prelu")
            k += 1
        elif kind == "bn" and nxt[0] == "flatten" and k + 2 < len(steps) and steps[k + 2][0] == "fc":
            # Scale and shift per channel, then the layer over the NCHW-flattened values:
            # both folded into the layer's weights, its columns put in NHWC order.
            s, t = steps[k][1], steps[k][2]
            wf, bf = steps[k + 2][1], steps[k + 2][2]
            w4 = wf.reshape(wf.shape[0], c, h, w)
            bf = bf + np.einsum("ochw,c->o", w4, t)
            wf = (w4 * s[None, :, None, None]).transpose(0, 2, 3, 1).reshape(wf.shape[0], -1)
            k += 3
            if k < len(steps) and steps[k][0] == "bn":
                wf, bf = wf * steps[k][1][:, None], bf * steps[k][1] + steps[k][2]
                k += 1
            x = g.op(_FULLY_CONNECTED, [x, g.const(wf.astype(np.float32), "fc.weights"),
                                        g.const(bf.astype(np.float32), "fc.bias")], [1, wf.shape[0]], "features",
                     (_FULLY_CONNECTED,))
        else:
            raise ValueError(f"SFace's converter does not convert a {kind} step here")
    return g, first, x


def convert(onnx_model: bytes) -> bytes:
    """The TFLite model (bytes) of SFace's float32 ONNX model ``onnx_model``
    (:func:`.onnx_fold.fold`'s output): input ``chip`` 1×112×112×3 RGB 0–255,
    output ``features`` 1×128."""
    from .onnx_fold import read_graph

    g, first, last = _graph(_layers(*read_graph(onnx_model)))
    return _write(g, first, last)


def _write(g: _Graph, first: int, last: int) -> bytes:
    import flatbuffers

    b = flatbuffers.Builder(sum(len(d) for d in g.buffers) + (1 << 16))
    b.ForceDefaults(True)  # every field given is written, default or not

    def ints(values) -> int:
        b.StartVector(4, len(values), 4)
        for v in reversed(values):
            b.PrependInt32(int(v))
        return b.EndVector()

    def tables(offsets: list[int]) -> int:
        b.StartVector(4, len(offsets), 4)
        for o in reversed(offsets):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    def table(fields: list[tuple[str, int, int]]) -> int:  # (kind, slot, value); kinds: o(ffset), i32, u32, i8, u8
        b.StartObject(1 + max(slot for _k, slot, _v in fields) if fields else 0)
        put = {"o": b.PrependUOffsetTRelativeSlot, "i32": b.PrependInt32Slot, "u32": b.PrependUint32Slot,
               "i8": b.PrependInt8Slot, "u8": b.PrependUint8Slot}
        for kind, slot, v in fields:
            put[kind](slot, v, 0)
        return b.EndObject()

    buffers = []
    for data in g.buffers:  # Buffer {data: [ubyte] (16-byte aligned)}
        fields = []
        if data:
            b.StartVector(1, len(data), 16)
            b.head -= len(data)
            b.Bytes[b.head : b.head + len(data)] = data
            b.vectorNumElems = len(data)
            fields = [("o", 0, b.EndVector())]
        buffers.append(table(fields))
    tensors = []
    for shape, kind, buf, name in g.tensors:  # Tensor {shape, type, buffer, name}
        nm, sh = b.CreateString(name), ints(shape)
        tensors.append(table([("o", 0, sh), ("i8", 1, kind), ("u32", 2, buf), ("o", 3, nm)]))
    codes = sorted({code for code, *_ in g.ops})
    ops = []
    for code, inputs, outputs, opt in g.ops:  # Operator {opcode_index, inputs, outputs, options type, options}
        iv, ov = ints(inputs), ints(outputs)
        fields = [("u32", 0, codes.index(code)), ("o", 1, iv), ("o", 2, ov)]
        if opt:
            if code == _CONV:  # Conv2DOptions {padding, stride_w, stride_h, activation, dilation_w, dilation_h}
                o = table([("i8", 0, opt[1]), ("i32", 1, opt[2]), ("i32", 2, opt[3]), ("i32", 4, 1), ("i32", 5, 1)])
            elif code == _DEPTHWISE:  # {padding, stride_w, stride_h, depth_multiplier, activation, dilations}
                o = table([("i8", 0, opt[1]), ("i32", 1, opt[2]), ("i32", 2, opt[3]), ("i32", 3, 1),
                           ("i32", 5, 1), ("i32", 6, 1)])
            else:  # FullyConnected, Add, Mul options: all defaults (no activation)
                o = table([])
            fields += [("u8", 3, _OPTIONS[code]), ("o", 4, o)]
        ops.append(table(fields))
    # OperatorCode {deprecated_builtin_code, custom_code, version, builtin_code}
    opcodes = [table([("i8", 0, min(c, 127)), ("i32", 2, 1), ("i32", 3, c)]) for c in codes]
    tv, iv, ov, opv, name = tables(tensors), ints([first]), ints([last]), tables(ops), b.CreateString("sface")
    graph = table([("o", 0, tv), ("o", 1, iv), ("o", 2, ov), ("o", 3, opv), ("o", 4, name)])
    gv, cv, bv = tables([graph]), tables(opcodes), tables(buffers)
    desc = b.CreateString("OpenCV Zoo SFace 2021dec, converted from ONNX by likeness")
    # Model {version, operator_codes, subgraphs, description, buffers}
    model = table([("u32", 0, 3), ("o", 1, cv), ("o", 2, gv), ("o", 3, desc), ("o", 4, bv)])
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())
