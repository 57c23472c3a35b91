"""all-MiniLM-L6-v2 as an ONNX graph, written from the packaged weights (no exporter, no hub), and its runner.

The graph is the sentence-transformers model (BERT encoder, mean pooling, L2 normalisation) spelled out with
standard ONNX operators from `model.safetensors`, so building it twice gives the same bytes and the result does
not depend on the version of torch's exporter. It takes the `input_ids` of one text and no attention mask: a
text is never padded, every token counts in the mean.

`int8` is the same graph with the weights of its linear layers quantised to 8 bits per output channel by ONNX
Runtime's dynamic quantisation (per tensor, the cosine to the float vectors fell to 0.96); activations are
quantised with one scale per call over the whole input, so a batch would make a text's vector depend on its
neighbours: every text is encoded alone, in both precisions.

Built graphs are kept in `<cache_dir>/onnx/<name>/model.onnx` (written atomically, about 90 MB, or 23 MB int8).
"""

from __future__ import annotations

import json
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from pipeline import integrity, io

log = logging.getLogger(__name__)

GRAPH_VERSION = 1  # bump when the graph below changes: it is part of the cache folder's name and the model key
OPSET = 18  # LayerNormalization is standard from 17, reductions take their axes as an input from 18
PRECISIONS = ("float32", "int8")


def _weights(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(folder / integrity.MINILM_WEIGHTS))


def build_graph(folder: Path) -> Any:
    """The sentence-transformers MiniLM of `folder` as an `onnx.ModelProto`: ids [batch, tokens] -> [batch, dims]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    head_dim, epsilon = hidden // heads, float(config["layer_norm_eps"])
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"{folder}: only BERT with gelu and absolute positions can be written as ONNX here")
    weights = _weights(folder)
    nodes: list[Any] = []
    initializers: list[Any] = []

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def linear(x: str, prefix: str, out: str) -> str:
        kernel = constant(f"{prefix}.weight_t", weights[f"{prefix}.weight"].T)  # x @ W^T as MatMul(x, W^T)
        bias = constant(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return node("Add", [node("MatMul", [x, kernel], f"{out}.matmul"), bias], out)  # ".matmul": quantised

    def layer_norm(x: str, prefix: str, out: str) -> str:
        scale = constant(f"{prefix}.weight", weights[f"{prefix}.weight"])
        bias = constant(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return node("LayerNormalization", [x, scale, bias], out, axis=-1, epsilon=epsilon)

    # Embeddings: words + positions 0..n-1 + token type 0 (sentence-transformers passes zeros), then LayerNorm.
    words = node("Gather", [constant("word_embeddings", weights["embeddings.word_embeddings.weight"]), "input_ids"],
                 "emb.words")
    shape = node("Shape", ["input_ids"], "ids.shape")
    length = node("Slice", [shape, constant("one", np.array([1], np.int64)), constant("two", np.array([2], np.int64))],
                  "ids.length")
    positions = node("Slice", [constant("position_embeddings", weights["embeddings.position_embeddings.weight"]),
                               constant("zero", np.array([0], np.int64)), length], "emb.positions")
    token_type = constant("token_type_0", weights["embeddings.token_type_embeddings.weight"][0])
    summed = node("Add", [node("Add", [words, positions], "emb.sum1"), token_type], "emb.sum")
    x = layer_norm(summed, "embeddings.LayerNorm", "emb.out")

    split_heads = constant("split_heads", np.array([0, 0, heads, head_dim], np.int64))  # 0: keep that dimension
    merge_heads = constant("merge_heads", np.array([0, 0, hidden], np.int64))
    scale = constant("attention_scale", np.array(1.0 / np.sqrt(head_dim), np.float32))
    inv_sqrt2 = constant("inv_sqrt2", np.array(2**-0.5, np.float32))
    one = constant("one_f", np.array(1.0, np.float32))
    half = constant("half", np.array(0.5, np.float32))

    def gelu(x: str, p: str) -> str:  # exact (erf) GELU, as BERT's "gelu": x * (1 + erf(x / sqrt 2)) / 2
        erf = node("Erf", [node("Mul", [x, inv_sqrt2], f"{p}.gelu.scaled")], f"{p}.gelu.erf")
        return node("Mul", [x, node("Mul", [node("Add", [erf, one], f"{p}.gelu.plus1"), half], f"{p}.gelu.half")],
                    f"{p}.gelu")

    def heads_of(x: str, p: str, name: str, perm: list[int]) -> str:
        projected = linear(x, f"{p}.attention.self.{name}", f"{p}.{name}")
        reshaped = node("Reshape", [projected, split_heads], f"{p}.{name}.heads")
        return node("Transpose", [reshaped], f"{p}.{name}.t", perm=perm)

    for number in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{number}"
        query = heads_of(x, p, "query", [0, 2, 1, 3])  # [batch, heads, tokens, head_dim]
        key = heads_of(x, p, "key", [0, 2, 3, 1])  # [batch, heads, head_dim, tokens]
        value = heads_of(x, p, "value", [0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [query, key], f"{p}.scores.raw"), scale], f"{p}.scores")
        probabilities = node("Softmax", [scores], f"{p}.probabilities", axis=-1)
        context = node("Transpose", [node("MatMul", [probabilities, value], f"{p}.context.heads")], f"{p}.context.t",
                       perm=[0, 2, 1, 3])
        context = node("Reshape", [context, merge_heads], f"{p}.context")
        attended = linear(context, f"{p}.attention.output.dense", f"{p}.attention.dense")
        x = layer_norm(node("Add", [attended, x], f"{p}.attention.residual"), f"{p}.attention.output.LayerNorm",
                       f"{p}.attention.out")
        inner = gelu(linear(x, f"{p}.intermediate.dense", f"{p}.intermediate"), p)
        output = linear(inner, f"{p}.output.dense", f"{p}.output")
        x = layer_norm(node("Add", [output, x], f"{p}.output.residual"), f"{p}.output.LayerNorm", f"{p}.out")

    # Mean over the tokens (no padding: every token counts), then L2 normalisation as torch's F.normalize.
    pooled = node("ReduceMean", [x, constant("token_axis", np.array([1], np.int64))], "pooled", keepdims=0)
    norm = node("ReduceL2", [pooled, constant("feature_axis", np.array([-1], np.int64))], "norm", keepdims=1)
    clipped = node("Max", [norm, constant("norm_floor", np.array(1e-12, np.float32))], "norm.clipped")
    node("Div", [pooled, clipped], "sentence_embedding")

    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="newsline")
    model.ir_version = 8  # readable by every onnxruntime this project pins
    onnx.checker.check_model(model)
    return model


def graph_digest_path(target: Path) -> Path:
    """The SHA-256 of a written graph, kept beside it: a graph that does not match it is never loaded."""
    return target.with_name(target.name + ".sha256")


def _intact(target: Path) -> bool:
    digest = graph_digest_path(target)
    if not target.is_file():
        return False
    if digest.is_file() and digest.read_text(encoding="utf-8").strip() == integrity.file_digest(target):
        return True
    log.warning("%s is damaged or was not finished (its SHA-256 does not match %s); writing it again", target,
                digest.name)
    return False


def ensure_graph(folder: Path, target: Path, precision: str) -> Path:
    """Write the graph of `precision` to `target` unless an intact one is there (its digest matches the one written
    with it); atomic, so a half-written file is never read, and a damaged one is written again, never trusted."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    if _intact(target):
        return target
    import onnx

    integrity.verify_minilm(folder)
    log.info("writing the ONNX graph of %s (%s) to %s (once)", folder.name, precision, target)
    graph = build_graph(folder)
    with io.atomic_path(target) as tmp:
        if precision == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            linear_layers = [node.name for node in graph.graph.node if node.name.endswith(".matmul")]
            with tempfile.TemporaryDirectory(prefix="newsline-onnx-") as scratch:
                float_graph = Path(scratch) / "float32.onnx"
                onnx.save_model(graph, str(float_graph))
                quantize_dynamic(float_graph, tmp, weight_type=QuantType.QInt8, per_channel=True,
                                 nodes_to_quantize=linear_layers)
        else:
            onnx.save_model(graph, str(tmp))
    io.write_text(graph_digest_path(target), integrity.file_digest(target) + "\n")  # after the graph: a kill
    return target  # between the two leaves a graph without a digest, which the next run writes again


class OnnxRunner:
    """An ONNX Runtime session over a MiniLM graph: texts in, float32 unit vectors out.

    Texts are tokenised without padding and truncated to `max_seq_length` tokens. Each text goes through the
    graph alone on one thread (the session runs single-threaded; `encode` runs that many texts at once from a
    thread pool, which ONNX Runtime allows on one session), so a vector never depends on the other texts, their
    order or the number of threads.
    """

    def __init__(self, graph: Path, tokenizer: Path, max_seq_length: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.no_padding()  # tokenizer.json pads to 128 tokens; here no text is ever padded
        self.tokenizer.enable_truncation(max_seq_length)
        self.dimensions = int(self.session.get_outputs()[0].shape[1])

    def encode_one(self, ids: list[int]) -> np.ndarray:
        return self.session.run(None, {"input_ids": np.array([ids], dtype=np.int64)})[0][0]

    def encode(self, texts: list[str], threads: int = 1) -> np.ndarray:
        """Unit vectors of `texts`, in order; `threads` texts are encoded at a time."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch([text.strip() for text in texts])]
        if threads <= 1:
            vectors = [self.encode_one(tokens) for tokens in ids]
        else:
            with ThreadPoolExecutor(threads) as pool:  # the session releases the GIL while it runs
                vectors = list(pool.map(self.encode_one, ids))
        return np.stack(vectors).astype(np.float32, copy=False)
