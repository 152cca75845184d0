#!/usr/bin/python3
"""Hostile and degenerate HDF5 activation dumps for GhostKit's ActivationReader (what `grid --dump` and
`fit-kernels --scan` open), written with h5py (Debian's python3-h5py; h5py 3.7 / HDF5 1.10.8 was used).

Run by hand (never in CI), from anywhere:

    /usr/bin/python3 tools/make_hostile_h5.py

Writes Tests/Fixtures/hostile/ (every file a few KB; sparse datasets store almost nothing):
  valid.h5            a well-formed dump: inputs [2, 1, 4, 4], labels [2], layers/a [2, 3, 4, 4] (chunked,
                      shuffle + gzip), layers/b [2, 3, 2, 2] (contiguous); values are arange/10
  outside.bin         96 raw float32 bytes a hostile file points at (it must never be read)
  <class>.h5          one file per class in CASES below: each must be refused with a one-line error naming the file,
                      the dataset and the problem; vds_sibling.h5 must be read (its source is valid.h5 next to it)
  format_int.h5, format_other.h5  root attribute format an integer, or another string
  corrupt_middle_chunk.h5  layers/a [9, 4, 8, 8] whose row-4 chunk is garbage (its first and last rows read fine)
and copies a few of them to fuzz/corpus/HDF5/ as seeds of the FuzzHDF5 target.
"""
import os
import shutil

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "hostile")
SEEDS = os.path.join(ROOT, "fuzz", "corpus", "HDF5")
SEED_FILES = ["valid.h5", "vds_sibling.h5", "zero_c.h5", "sparse_16000.h5", "external_link.h5", "external_storage.h5",
              "lzf_filter.h5", "huge_labels.h5"]


def dump(name, layers=None, inputs=True, labels=True):
    """A file with GhostKit's root attributes; `layers` maps a name to a callable(group, name) that makes it."""
    f = h5py.File(os.path.join(OUT, name), "w")
    for k, v in {"format": "ghostkit-activations", "version": "1", "model": "test"}.items():
        f.attrs.create(k, np.bytes_(v))
    if inputs:
        f.create_dataset("inputs", data=np.arange(32, dtype=np.float32).reshape(2, 1, 4, 4) / 10,
                         chunks=(1, 1, 4, 4), maxshape=(None, 1, 4, 4), compression="gzip", shuffle=True)
    if labels:
        f.create_dataset("labels", data=np.array([0, 1], dtype=np.int64), chunks=(16,), maxshape=(None,))
    g = f.create_group("layers")
    for k, make in (layers or {}).items():
        make(g, k)
    return f


def good(g, k):
    g.create_dataset(k, data=np.arange(96, dtype=np.float32).reshape(2, 3, 4, 4) / 10, chunks=(1, 3, 4, 4),
                     maxshape=(None, 3, 4, 4), compression="gzip", shuffle=True)


def contiguous(g, k):
    g.create_dataset(k, data=np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2))


def sparse(shape, chunks, write=None):
    """A chunked dataset that claims `shape` but stores only the chunk written by `write` (or none)."""
    def make(g, k):
        d = g.create_dataset(k, shape=shape, dtype=np.float32, chunks=chunks, compression="gzip")
        if write is not None:
            d[write] = 1.0
    return make


def with_shape(shape, dtype=np.float32):
    def make(g, k):
        g.create_dataset(k, shape=shape, dtype=dtype, data=np.zeros(shape, dtype=dtype) if 0 not in shape else None)
    return make


def external_storage(g, k):
    g.create_dataset(k, shape=(2, 3, 2, 2), dtype=np.float32, external=[("outside.bin", 0, 96)])


def external_link(g, k):
    g[k] = h5py.ExternalLink("valid.h5", "/layers/a")


def soft_link(g, k):
    g[k] = h5py.SoftLink("/inputs")


def lzf(g, k):
    g.create_dataset(k, data=np.zeros((2, 3, 4, 4), np.float32), chunks=(1, 3, 4, 4), compression="lzf")


def scaleoffset(g, k):
    g.create_dataset(k, data=np.zeros((2, 3, 4, 4), np.float32), chunks=(1, 3, 4, 4), scaleoffset=2)


def vds(source_file):
    def make(g, k):
        layout = h5py.VirtualLayout(shape=(2, 3, 4, 4), dtype=np.float32)
        layout[:] = h5py.VirtualSource(source_file, "/layers/a", shape=(2, 3, 4, 4))
        g.create_virtual_dataset(k, layout, fillvalue=0)
    return make


def vds_unlimited(g, k):
    """An unlimited virtual dataset (libhdf5 resolves its extent from the sources) on an absolute path."""
    layout = h5py.VirtualLayout(shape=(2, 3, 4, 4), maxshape=(None, 3, 4, 4), dtype=np.float32)
    src = h5py.VirtualSource("/tmp/ghostkit-hostile-source.h5", "/layers/a", shape=(2, 3, 4, 4),
                             maxshape=(None, 3, 4, 4))
    layout[h5py.h5s.UNLIMITED:, :, :, :] = src[h5py.h5s.UNLIMITED:, :, :, :]
    g.create_virtual_dataset(k, layout, fillvalue=0)


def vds_self_external(g, k):
    """A virtual dataset whose source is this file ("."), but a dataset there kept in an external file."""
    g.file.create_dataset("hidden", shape=(2, 3, 2, 2), dtype=np.float32, external=[("outside.bin", 0, 96)])
    layout = h5py.VirtualLayout(shape=(2, 3, 2, 2), dtype=np.float32)
    layout[:] = h5py.VirtualSource(".", "/hidden", shape=(2, 3, 2, 2))
    g.create_virtual_dataset(k, layout, fillvalue=0)


def corrupt_middle_chunk(path, rows=9):
    """layers/a [rows, 4, 8, 8], one gzip chunk per row; the compressed bytes of the middle row's chunk are then
    overwritten with 0xFF (not a zlib stream), found with h5py's get_chunk_info."""
    f = dump(os.path.basename(path), None)
    data = (np.arange(rows * 4 * 8 * 8, dtype=np.float32).reshape(rows, 4, 8, 8) % 97) / 97
    f["layers"].create_dataset("a", data=data, chunks=(1, 4, 8, 8), maxshape=(None, 4, 8, 8),
                               compression="gzip", shuffle=True)
    f.close()
    with h5py.File(path, "r") as f:
        info = f["layers/a"].id.get_chunk_info_by_coord((rows // 2, 0, 0, 0))
    with open(path, "r+b") as raw:
        raw.seek(info.byte_offset)
        raw.write(b"\xff" * info.size)


CASES = {
    # absurd or overflowing dimensions (sparse: nothing stored)
    "absurd_dims.h5": {"a": sparse((64, 64, 100000, 100000), (1, 1, 64, 64))},
    "overflow_dims.h5": {"a": sparse((2**30, 2**30, 2**30, 2**30), (1, 1, 1, 16))},
    "many_images.h5": {"a": sparse((10**9, 1, 1, 1), (4096, 1, 1, 1))},
    "huge_maps.h5": {"a": sparse((1, 1, 100000, 100000), (1, 1, 256, 256))},
    "sparse_16000.h5": {"a": sparse((1, 1, 16000, 16000), (1, 1, 1000, 1000), write=(0, 0, 0, 0))},
    "huge_chunk.h5": {"a": sparse((1, 64, 2048, 2048), (1, 64, 2048, 2048))},
    # zero-sized shapes
    "zero_c.h5": {"a": with_shape((2, 0, 4, 4))},
    "zero_w.h5": {"a": with_shape((2, 3, 4, 0))},
    "zero_hw.h5": {"a": with_shape((2, 3, 0, 0))},
    "zero_n.h5": {"a": with_shape((0, 3, 4, 4))},
    # wrong kinds of dataset
    "rank5.h5": {"a": with_shape((1, 1, 1, 2, 2))},
    "int_layer.h5": {"a": with_shape((2, 3, 4, 4), np.int32)},
    # data outside the file
    "external_storage.h5": {"a": external_storage},
    "external_link.h5": {"a": external_link},
    "soft_link.h5": {"a": soft_link},
    "vds_absolute.h5": {"a": vds("/tmp/ghostkit-hostile-source.h5")},
    "vds_subdir.h5": {"a": vds("sub/valid.h5")},
    "vds_sibling.h5": {"a": vds("valid.h5")},
    "vds_self_external.h5": {"a": vds_self_external},
    "vds_unlimited.h5": {"a": vds_unlimited},
    # filters GhostKit does not read (lzf is an h5py plugin; scale-offset is lossy)
    "lzf_filter.h5": {"a": lzf},
    "scaleoffset_filter.h5": {"a": scaleoffset},
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for n in os.listdir(OUT):  # the .pth bombs of make_hostile_pth.py stay
        if n.endswith(".h5") or n == "outside.bin":
            os.remove(os.path.join(OUT, n))
    dump("valid.h5", {"a": good, "b": contiguous}).close()
    np.arange(24, dtype=np.float32).tofile(os.path.join(OUT, "outside.bin"))
    for name, layers in CASES.items():
        dump(name, layers).close()
    # /layers itself an external link; a dump whose labels claim 10^9 entries
    f = dump("external_group.h5", None)
    del f["layers"]
    f["layers"] = h5py.ExternalLink("valid.h5", "/layers")
    f.close()
    f = dump("huge_labels.h5", {"a": good}, labels=False)
    f.create_dataset("labels", shape=(10**9,), dtype=np.int64, chunks=(1 << 16,))
    f.close()
    # root attribute format of the wrong type (an integer) or the wrong value
    for name, value in {"format_int.h5": np.int64(1), "format_other.h5": np.bytes_("other-activations")}.items():
        f = dump(name, {"a": good})
        f.attrs["format"] = value
        f.close()
    # a valid-looking dump whose middle chunk (row 4 of 9 in layers/a) is garbage: the metadata and the first and
    # last rows read fine, only a read of every row (fit-kernels) reaches it
    corrupt_middle_chunk(os.path.join(OUT, "corrupt_middle_chunk.h5"))
    # the same bytes as valid.h5 cut short
    data = open(os.path.join(OUT, "valid.h5"), "rb").read()
    open(os.path.join(OUT, "truncated.h5"), "wb").write(data[: len(data) // 2])
    shutil.rmtree(SEEDS, ignore_errors=True)
    os.makedirs(SEEDS)
    for n in SEED_FILES:
        shutil.copy(os.path.join(OUT, n), os.path.join(SEEDS, n))
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
