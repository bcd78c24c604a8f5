"""libopus 1.6.1 weights -> dredfx weight blob (format: docs/weights-blob.md), and the blob for
the compiled modules.

Import: the model data files (dnn/*_data.c) are read from the libopus 1.6.1 source (Debian's
source package, or a release tarball / source tree the user names), checked against their known
SHA-256 sums, parsed with our own parser, and written, deterministically, as one blob in the
per-user cache folder. Loading checks the blob's SHA-256 against the one recorded at import and
hands it to the C loader, which checks every bound (dredfx.ref.weights is the pure-Python
reader, for the reference).
"""
import hashlib
import io
import json
import os
import re
import struct
import sys
import tarfile
import zlib

import numpy as np

from . import opus_source
from .errors import WeightsError

FORMAT_VERSION = 1
MAGIC = b"DREDFXWB"
SOURCE_TAG = b"libopus-1.6.1"
HEADER_SIZE = 64
NAME_LEN = 44
META_NAME = "dredfx.meta"

# Element types of the blob (c/include/dredfx.h DREDFX_WT_*).
TYPE_OF = {np.dtype("<f4"): 1, np.dtype("<i4"): 2, np.dtype("i1"): 3, np.dtype("u1"): 4,
           np.dtype("<i2"): 5}

# The model data files of libopus 1.6.1 that dredfx uses, with their SHA-256 sums (measured on
# the release tarball). Another model is refused.
MODEL_FILES = {
    "dnn/pitchdnn_data.c": ("pitchdnn", "921b6157ff7a6200741c8b3e0c6d0183f2c34567297d63b065486be2bbf995ac"),
    "dnn/fargan_data.c": ("fargan", "69ceccdfc11c15af1f00701357795cc73187ed227c0f2215da23bc01ee996a7b"),
    "dnn/plc_data.c": ("plcmodel", "e1d61885ba91d7f700e7be9f0a810202dcfc4ba980b75726f2e925a23dc7353b"),
    "dnn/dred_rdovae_enc_data.c": ("rdovaeenc", "3bf6d5cbfa3b1fee99a0e65253eeecaa92f861533b9c3926b494e2776c922e5e"),
    "dnn/dred_rdovae_dec_data.c": ("rdovaedec", "a8389b6556a75712eafde8733fba57a6efac80700badd6aed25f3fffe597a202"),
    "dnn/dred_rdovae_stats_data.c": ("stats", "d6de1a982d3f7664049c132e90fed6a652900d201a70916fd990cd58371b991d"),
    "dnn/lossgen_data.c": ("lossgen", "d9eb4654b9886ab0bd38f4dbc1e6c0725de409cb183597d3f1084efaecc80c45"),
}

# SHA-256 of the blob this version of dredfx writes from the files above (deterministic import).
EXPECTED_BLOB_SHA256 = "6237ac9341bc93b48933c76a8854135d6a6dec00f4cb9501c4872eeb0c352193"

_C_TYPES = {"float": np.dtype("<f4"), "opus_int8": np.dtype("i1"), "int": np.dtype("<i4"),
            "opus_uint8": np.dtype("u1"), "opus_int16": np.dtype("<i2")}
_ARRAY_RE = re.compile(r"^(?:static )?const (float|opus_int8|int|opus_uint8|opus_int16) "
                       r"(\w+)\[(\d+)\] = \{(.*?)\};", re.S | re.M)
_INIT_RE = re.compile(r"^int init_(\w+)\(\w+ \*model, ?const WeightArray \*arrays\) \{(.*?)^\}",
                      re.S | re.M)
_LINEAR_RE = re.compile(r"linear_init\(&model->(\w+),arrays,([^;]*?)\)\) return 1;")
_CONV2D_RE = re.compile(r"conv2d_init\(&model->(\w+),arrays,([^;]*?)\)\) return 1;")
_LINEAR_FIELDS = ("bias", "subias", "weights_int8", "weights_float", "weights_idx", "diag", "scale")


def _log(msg):
    print("dredfx: " + msg, file=sys.stderr, flush=True)


def _parse_values(text, dtype, name):
    tokens = [t for t in re.split(r"[\s,]+", text) if t]
    try:
        if dtype.kind == "f":
            # Each literal is a C double constant converted to float, as the C compiler does.
            return np.array([float(t) for t in tokens], dtype=np.float64).astype(dtype)
        return np.array([int(t, 0) for t in tokens], dtype=np.int64).astype(dtype)
    except ValueError as e:
        raise WeightsError("cannot parse the values of %s: %s" % (name, e)) from None


def _names(args):
    """linear_init/conv2d_init argument list -> (names of arrays or None, integer sizes)."""
    parts = [p.strip() for p in args.split(",")]
    names = [None if p == "NULL" else p.strip('"') for p in parts if not re.fullmatch(r"\d+", p)]
    sizes = [int(p) for p in parts if re.fullmatch(r"\d+", p)]
    return names, sizes


def parse_data_file(text, model):
    """Parses one libopus *_data.c file.

    Returns (arrays, layers): arrays maps name -> numpy array (in file order); layers is a list of
    dicts describing each layer of the model's init function (kind, name, array names present,
    sizes). Raises WeightsError on anything unexpected.
    """
    arrays = {}
    for m in _ARRAY_RE.finditer(text):
        ctype, name, count, body = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        values = _parse_values(body, _C_TYPES[ctype], name)
        if values.size != count:
            raise WeightsError("%s: %d values, declared %d" % (name, values.size, count))
        if name in arrays:
            raise WeightsError("%s is defined twice" % name)
        arrays[name] = values
    if not arrays:
        raise WeightsError("no weight arrays found in the %s data file" % model)
    layers = []
    init = _INIT_RE.search(text)
    if model != "stats":
        if init is None:
            raise WeightsError("no init function found in the %s data file" % model)
        body = init.group(2)
        for kind, regex in (("linear", _LINEAR_RE), ("conv2d", _CONV2D_RE)):
            for m in regex.finditer(body):
                names, sizes = _names(m.group(2))
                if kind == "linear":
                    if len(names) != 7 or len(sizes) != 2:
                        raise WeightsError("unexpected linear_init for %s" % m.group(1))
                    layer = {"kind": kind, "name": m.group(1), "model": model,
                             "nb_inputs": sizes[0], "nb_outputs": sizes[1]}
                    for field, n in zip(_LINEAR_FIELDS, names):
                        layer[field] = n if n in arrays else None
                else:
                    if len(names) != 2 or len(sizes) != 4:
                        raise WeightsError("unexpected conv2d_init for %s" % m.group(1))
                    layer = {"kind": kind, "name": m.group(1), "model": model,
                             "bias": names[0] if names[0] in arrays else None,
                             "weights_float": names[1] if names[1] in arrays else None,
                             "in_channels": sizes[0], "out_channels": sizes[1],
                             "ktime": sizes[2], "kheight": sizes[3]}
                layers.append(layer)
        _check_layers(layers, arrays)
    return arrays, layers


def _check_layers(layers, arrays):
    """Array sizes must match the layer sizes (libopus' linear_init rules)."""
    for l in layers:
        if l["kind"] == "conv2d":
            n = l["in_channels"] * l["out_channels"] * l["ktime"] * l["kheight"]
            _expect(arrays, l["weights_float"], n, l)
            _expect(arrays, l["bias"], l["out_channels"], l)
            continue
        nin, nout = l["nb_inputs"], l["nb_outputs"]
        for f in ("bias", "subias", "scale"):
            if l[f]:
                _expect(arrays, l[f], nout, l)
        if l["weights_float"]:
            _expect(arrays, l["weights_float"], nin * nout, l)
        if l["weights_int8"]:
            if l["weights_idx"]:
                nblocks = _check_sparse_index(arrays[l["weights_idx"]], nin, nout, l["name"])
                _expect(arrays, l["weights_int8"], 32 * nblocks, l)
            else:
                _expect(arrays, l["weights_int8"], nin * nout, l)
            if not l["scale"]:
                raise WeightsError("layer %s has int8 weights but no scale" % l["name"])
        elif not l["weights_float"]:
            raise WeightsError("layer %s has no weights" % l["name"])


def _expect(arrays, name, count, layer):
    if name is None or arrays[name].size != count:
        raise WeightsError("layer %s: array %s should have %d elements" % (layer["name"], name, count))


def _check_sparse_index(idx, nin, nout, name):
    pos, total = 0, 0
    for _ in range(nout // 8):
        if pos >= idx.size:
            raise WeightsError("layer %s: sparse index too short" % name)
        n = int(idx[pos])
        pos += 1
        if n < 0 or pos + n > idx.size:
            raise WeightsError("layer %s: bad sparse index" % name)
        cols = idx[pos:pos + n]
        if np.any(cols % 4) or np.any(cols < 0) or np.any(cols + 3 >= nin):
            raise WeightsError("layer %s: sparse column out of range" % name)
        pos += n
        total += n
    if pos != idx.size:
        raise WeightsError("layer %s: sparse index has %d extra entries" % (name, idx.size - pos))
    return total


def _read_source_files(source):
    """Returns {relative path: bytes} of MODEL_FILES from a source tree or a release tarball."""
    out = {}
    if os.path.isdir(source):
        for rel in MODEL_FILES:
            p = os.path.join(source, rel)
            if not os.path.exists(p):
                raise WeightsError("%s is missing %s" % (source, rel))
            with open(p, "rb") as f:
                out[rel] = f.read()
        return out
    try:
        with tarfile.open(source) as tf:
            for member in tf.getmembers():
                rel = member.name.split("/", 1)[-1]
                if rel in MODEL_FILES and member.isfile():
                    out[rel] = tf.extractfile(member).read()
    except tarfile.TarError:
        raise WeightsError("%s is neither a tar archive nor an opus %s source tree: name the "
                           "release tarball (opus-%s.tar.gz, or Debian's %s) or its unpacked "
                           "folder" % (source, opus_source.VERSION, opus_source.VERSION,
                                       opus_source.ORIG_TARBALL)) from None
    missing = sorted(set(MODEL_FILES) - set(out))
    if missing:
        raise WeightsError("%s is missing %s" % (source, ", ".join(missing)))
    return out


def _derived_records(layers, arrays):
    """Fixed-point arrays for the C engine (docs/fixed-point.md), from dredfx.fixedpoint."""
    from . import fixedpoint
    out = {}
    for l in layers:
        name = l["name"]
        if l["kind"] == "conv2d":
            d = fixedpoint.convert_conv2d_layer(
                arrays[l["weights_float"]], arrays[l["bias"]] if l["bias"] else None,
                l["in_channels"], l["out_channels"], l["ktime"], l["kheight"])
        elif l["weights_int8"]:
            d = fixedpoint.convert_int8_layer(
                arrays[l["weights_int8"]], arrays[l["scale"]],
                bias=arrays[l["bias"]] if l["bias"] else None,
                subias=arrays[l["subias"]] if l["subias"] else None,
                nb_inputs=l["nb_inputs"], nb_outputs=l["nb_outputs"],
                idx=arrays[l["weights_idx"]] if l["weights_idx"] else None)
        else:
            d = fixedpoint.convert_float_layer(
                arrays[l["weights_float"]], arrays[l["bias"]] if l["bias"] else None,
                nb_inputs=l["nb_inputs"], nb_outputs=l["nb_outputs"])
        for key in sorted(d):
            out["%s.%s" % (name, key)] = d[key]
    return out


def build_blob(files):
    """files: {relative path: bytes} -> blob bytes. Deterministic: same files, same bytes."""
    records = {}
    layers = []
    for rel in sorted(MODEL_FILES):
        model, digest = MODEL_FILES[rel]
        got = hashlib.sha256(files[rel]).hexdigest()
        if got != digest:
            raise WeightsError(
                "%s is not libopus 1.6.1's model data (SHA-256 %s, expected %s); dredfx follows "
                "the libopus %s DRED model only" % (rel, got, digest, opus_source.VERSION))
        arrays, model_layers = parse_data_file(files[rel].decode("ascii"), model)
        for name, values in arrays.items():
            if name in records:
                raise WeightsError("array %s appears in two model files" % name)
            records[name] = values
        layers.extend(model_layers)
    records.update(_derived_records(layers, records))
    meta = {"format_version": FORMAT_VERSION, "libopus": opus_source.VERSION,
            "files": {rel: MODEL_FILES[rel][1] for rel in sorted(MODEL_FILES)}, "layers": layers}
    records[META_NAME] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    return pack(records)


def pack(records):
    """{name: numpy array} -> blob bytes (records in the given order)."""
    body = io.BytesIO()
    for name, values in records.items():
        raw = name.encode("ascii")
        if not 0 < len(raw) < NAME_LEN:
            raise WeightsError("array name too long for the blob: %s" % name)
        dtype = values.dtype.newbyteorder("<") if values.dtype.itemsize > 1 else values.dtype
        data = np.ascontiguousarray(values, dtype=dtype).tobytes()
        body.write(raw.ljust(NAME_LEN, b"\0"))
        body.write(struct.pack("<IIIII", TYPE_OF[np.dtype(dtype)], values.size, len(data), 0, 0))
        body.write(data + b"\0" * (-len(data) % 64))
    payload = body.getvalue()
    tag = SOURCE_TAG.ljust(HEADER_SIZE - 24, b"\0")
    header = MAGIC + struct.pack("<IIII", FORMAT_VERSION, len(records), HEADER_SIZE + len(payload),
                                 zlib.crc32(tag + payload)) + tag
    return header + payload


def default_path():
    return opus_source.weights_blob_path()


def import_weights(source=None, dest=None):
    """Imports libopus 1.6.1's weights and writes the blob; returns its path.

    source: None (Debian source package, cached), an opus 1.6.1 release tarball or source tree.
    """
    try:
        src = source if source is not None and os.path.isfile(source) else opus_source.source_tree(source)
    except opus_source.SourceError as e:
        raise WeightsError(str(e)) from None
    _log("reading libopus %s model data from %s" % (opus_source.VERSION, src))
    blob = build_blob(_read_source_files(src))
    digest = hashlib.sha256(blob).hexdigest()
    if EXPECTED_BLOB_SHA256 and digest != EXPECTED_BLOB_SHA256:
        raise WeightsError("the imported blob has SHA-256 %s, expected %s: the importer is not "
                           "deterministic here, please report it" % (digest, EXPECTED_BLOB_SHA256))
    dest = dest or default_path()
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if os.path.exists(dest) and opus_source.sha256_file(dest) == digest:
        with open(dest + ".sha256", "w") as f:
            f.write("%s  %s\n" % (digest, os.path.basename(dest)))
        _log("%s is up to date (SHA-256 %s)" % (dest, digest))
        return dest
    tmp = dest + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    with open(dest + ".sha256", "w") as f:
        f.write("%s  %s\n" % (digest, os.path.basename(dest)))
    os.replace(tmp, dest)
    _log("wrote %s (%d bytes, SHA-256 %s)" % (dest, len(blob), digest))
    return dest


class Weights:
    """A loaded blob, parsed once by the C loader: .core (dredfx._weights.Weights, what the
    compiled modules use), .arrays (name -> read-only NumPy view into it), .meta (layers, source),
    .path, .sha256."""

    def __init__(self, blob, path=None):
        from . import _weights
        self.blob = bytes(blob)
        self.path = path
        self.sha256 = hashlib.sha256(self.blob).hexdigest()
        self.core = _weights.Weights(self.blob)
        self.arrays = self.core.as_dict()
        self.meta = json.loads(self.arrays[META_NAME].tobytes().decode())
        self.layers = {l["name"]: l for l in self.meta["layers"]}

    def __repr__(self):
        return "<dredfx.weights.Weights %d arrays, %d bytes, %s>" % (
            len(self.arrays), len(self.blob), self.path or "in memory")


def load(path=None):
    """Loads a blob (default: the imported one), checking its recorded SHA-256; the default blob
    must also be the one this version of dredfx imports (EXPECTED_BLOB_SHA256)."""
    default = path is None
    path = path or default_path()
    if not os.path.exists(path):
        raise WeightsError("no dredfx weights at %s: run `dredfx weights import` (fetches libopus "
                           "1.6.1 from Debian) or `dredfx weights import --source FILE_OR_DIR`" % path)
    with open(path, "rb") as f:
        blob = f.read()
    side = path + ".sha256"
    if os.path.exists(side):
        with open(side) as f:
            recorded = f.read().split()[0]
        got = hashlib.sha256(blob).hexdigest()
        if got != recorded:
            raise WeightsError("%s has SHA-256 %s but %s was recorded at import: the file changed; "
                               "re-run `dredfx weights import`" % (path, got, recorded))
    if default and EXPECTED_BLOB_SHA256 and hashlib.sha256(blob).hexdigest() != EXPECTED_BLOB_SHA256:
        raise WeightsError("%s was written by another version of dredfx (this one expects SHA-256 "
                           "%s): re-run `dredfx weights import`" % (path, EXPECTED_BLOB_SHA256))
    return Weights(blob, path)


_default = None


def default():
    """The imported weights, loaded once per process."""
    global _default
    if _default is None:
        _default = load()
    return _default
