"""Weights import (libopus 1.6.1 data files -> dredfx blob) and the C/Python blob loaders."""
import hashlib
import os
import shutil
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dredfx import _weights, opus_source, weights
from dredfx.errors import ERR_WEIGHTS_MISSING, ERR_WEIGHTS_SHAPE, WeightsError
from dredfx.ref import weights as refweights

pytestmark = pytest.mark.weights


@pytest.fixture(scope="module")
def source():
    try:
        return opus_source.source_tree()
    except opus_source.SourceError as e:
        pytest.skip("libopus 1.6.1 source not available: %s" % e)


@pytest.fixture(scope="module")
def blob(source):
    return weights.build_blob(weights._read_source_files(source))


# Per model: (arrays, payload bytes) measured on libopus 1.6.1 (dnn/*_data.c, its dump_weights_blob).
LIBOPUS_COUNTS = {"pitchdnn": (28, 74548), "fargan": (66, 872164), "plcmodel": (20, 478288),
                  "rdovaeenc": (105, 233960), "rdovaedec": (124, 315724), "lossgen": (20, 9444),
                  "stats": (8, 4800)}


def test_import_is_deterministic(source, blob):
    again = weights.build_blob(weights._read_source_files(source))
    assert again == blob
    if weights.EXPECTED_BLOB_SHA256:
        assert hashlib.sha256(blob).hexdigest() == weights.EXPECTED_BLOB_SHA256


def test_every_libopus_array_is_imported_with_its_size(source):
    files = weights._read_source_files(source)
    for rel, (model, _) in weights.MODEL_FILES.items():
        arrays, _ = weights.parse_data_file(files[rel].decode(), model)
        count, nbytes = LIBOPUS_COUNTS[model]
        assert len(arrays) == count, model
        assert sum(a.nbytes for a in arrays.values()) == nbytes, model


def test_layer_table_matches_the_facts_sheet(blob):
    w = weights.Weights(blob)
    dec = w.layers["dec_gru_init"]
    assert (dec["nb_inputs"], dec["nb_outputs"]) == (128, 320)
    assert dec["weights_idx"] == "dec_gru_init_weights_idx"
    assert w.layers["dec_hidden_init"]["weights_float"] == "dec_hidden_init_weights_float"
    assert w.layers["dec_hidden_init"]["weights_int8"] is None
    assert (w.layers["dec_output"]["nb_inputs"], w.layers["dec_output"]["nb_outputs"]) == (576, 80)
    assert w.layers["conv2d_1"]["kind"] == "conv2d"
    # FARGAN's GRUs ship a subias and no bias (dnn/fargan_data.c init_fargan).
    gru = [l for l in w.meta["layers"] if l["model"] == "fargan" and "gru" in l["name"]
           and l["weights_int8"] and l["bias"] is None]
    assert gru and all(l["subias"] for l in gru)
    assert w.arrays["dred_latent_quant_scales_q8"].shape == (400,)


def first_literal(source, array):
    """The first value of an array in dred_rdovae_dec_data.c, as text (read here, not committed)."""
    text = open(os.path.join(source, "dnn", "dred_rdovae_dec_data.c")).read()
    body = text[text.index(" %s[" % array):]
    return body[body.index("{") + 1:].split(",")[0].strip()


def test_float_values_are_the_c_compilers_float32(source, blob):
    w = weights.Weights(blob)
    a = w.arrays["dec_dense1_weights_float"]
    assert a.dtype == np.float32 and a.size == 26 * 96
    # The C compiler reads the literal as a double, then rounds it to float.
    assert a[0] == np.float32(float(first_literal(source, "dec_dense1_weights_float")))


def test_c_and_python_loaders_agree(blob):
    core = _weights.Weights(blob)
    py = refweights.unpack(blob)
    assert core.names() == list(py)
    arrays = weights.Weights(blob).arrays  # views into the one C-parsed copy
    assert list(arrays) == list(py)
    for name, a in py.items():
        assert arrays[name].dtype == a.dtype and np.array_equal(arrays[name], a), name
        assert not arrays[name].flags.writeable
    assert core.has("dec_output_weights_int8", 3, py["dec_output_weights_int8"].size)
    assert not core.has("dec_output_weights_int8", 3, 1)
    assert not core.has("no_such_array", 3, 1)


def test_import_writes_blob_and_checksum_and_load_checks_it(tmp_path, source):
    dest = str(tmp_path / "w.bin")
    weights.import_weights(source, dest)
    w = weights.load(dest)
    assert w.sha256 == open(dest + ".sha256").read().split()[0]
    with open(dest, "r+b") as f:
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 1]))
    with pytest.raises(WeightsError, match="changed"):
        weights.load(dest)


def test_default_blob_from_another_dredfx_version_is_refused(tmp_path, monkeypatch, blob):
    # A blob whose side file matches but which is not the one this version imports (an import by
    # an older dredfx): the default load asks for a re-import instead of running on it.
    monkeypatch.setenv("DREDFX_CACHE", str(tmp_path))
    dest = weights.default_path()
    os.makedirs(os.path.dirname(dest))
    old = weights.pack({k: v for k, v in refweights.unpack(blob).items() if not k.startswith("conv2d_1.")})
    with open(dest, "wb") as f:
        f.write(old)
    with open(dest + ".sha256", "w") as f:
        f.write(hashlib.sha256(old).hexdigest() + "  x\n")
    with pytest.raises(WeightsError, match="another version of dredfx"):
        weights.load()
    assert weights.load(dest).sha256 == hashlib.sha256(old).hexdigest()  # a named path is the user's choice


def test_missing_weights_give_a_clear_error(tmp_path):
    with pytest.raises(WeightsError, match="dredfx weights import"):
        weights.load(str(tmp_path / "nothing.bin"))


def test_another_model_is_refused(tmp_path, source):
    tree = tmp_path / "opus"
    shutil.copytree(os.path.join(source, "dnn"), tree / "dnn",
                    ignore=shutil.ignore_patterns("*.o", "*.lo", ".deps", ".libs"))
    p = tree / "dnn" / "dred_rdovae_dec_data.c"
    old = first_literal(source, "dec_dense1_weights_float")
    p.write_text(p.read_text().replace(old, old + "1", 1))
    with pytest.raises(WeightsError, match="not libopus 1.6.1's model data"):
        weights.import_weights(str(tree), str(tmp_path / "w.bin"))


def test_import_from_a_release_tarball_gives_the_same_blob(tmp_path, source, blob):
    import tarfile
    t = tmp_path / "opus-1.6.1.tar"
    with tarfile.open(t, "w") as tf:
        for rel in weights.MODEL_FILES:
            tf.add(os.path.join(source, rel), arcname="opus-1.6.1/" + rel)
    dest = str(tmp_path / "w.bin")
    weights.import_weights(str(t), dest)
    assert open(dest, "rb").read() == blob


def test_a_tarball_without_model_data_is_refused(tmp_path):
    import tarfile
    t = tmp_path / "opus.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        f = tmp_path / "README"
        f.write_text("x")
        tf.add(f, arcname="opus-1.6.1/README")
    with pytest.raises(WeightsError, match="missing"):
        weights.import_weights(str(t), str(tmp_path / "w.bin"))


def both_reject(data, cls=WeightsError):
    with pytest.raises(cls):
        _weights.Weights(data)
    with pytest.raises(cls):
        refweights.unpack(data)


def test_truncated_blobs_are_rejected(blob):
    for n in [0, 1, 63, 64, 65, 127, 128, 1000, len(blob) // 2, len(blob) - 64, len(blob) - 1]:
        both_reject(blob[:n])


def test_bad_magic_version_and_trailing_bytes(blob):
    both_reject(b"XXXXXXXX" + blob[8:])
    both_reject(blob[:8] + struct.pack("<I", 2) + blob[12:])
    both_reject(blob + b"\0" * 64)


def resign(b):
    """Recomputes the CRC so that a structural fault (not the checksum) is what gets tested."""
    b = bytearray(b)
    struct.pack_into("<I", b, 20, zlib.crc32(bytes(b[24:])))
    return bytes(b)


def test_structural_faults_with_valid_checksum(blob):
    # Record 0 header at offset 64: name[44] type count nbytes r0 r1.
    b = bytearray(blob)
    b[64 + 44:64 + 48] = struct.pack("<I", 9)           # unknown type
    both_reject(resign(b))
    b = bytearray(blob)
    b[64 + 48:64 + 52] = struct.pack("<I", 0x7fffffff)  # count/nbytes disagree
    both_reject(resign(b))
    b = bytearray(blob)
    b[64:64 + 44] = b"x" * 44                            # name without NUL
    both_reject(resign(b))
    b = bytearray(blob)
    struct.pack_into("<I", b, 12, struct.unpack_from("<I", b, 12)[0] + 1)  # one record too many
    both_reject(resign(b))


def test_blob_without_stats_tables_is_refused_by_c():
    w = weights.pack({"x": np.zeros(3, np.float32)})
    assert list(refweights.unpack(w)) == ["x"]
    with pytest.raises(WeightsError, match="missing"):
        _weights.Weights(w)


@pytest.fixture(scope="module")
def small_blob(blob):
    """A valid blob holding only the eight DRED statistics tables."""
    arrays = refweights.unpack(blob)
    return weights.pack({n: a for n, a in arrays.items() if n.startswith("dred_") and n.endswith("_q8")})


@settings(max_examples=1000, deadline=None)
@given(st.data())
def test_random_corruption_c_and_python_agree(small_blob, data):
    b = bytearray(small_blob)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, 64 * 3 + 100))  # headers and the first records
        b[i] = data.draw(st.integers(0, 255))
    b = b[:data.draw(st.integers(0, len(b)))]
    if data.draw(st.booleans()) and len(b) >= 64:
        b = resign(b)
    try:
        py = list(refweights.unpack(bytes(b)))
    except WeightsError:
        py = None
    try:
        c = _weights.Weights(bytes(b)).names()
    except WeightsError as e:
        c = None
        # The C loader also requires the statistics tables, by name.
        assert py is None or e.code in (ERR_WEIGHTS_MISSING, ERR_WEIGHTS_SHAPE)
    if c is not None:
        assert c == py
