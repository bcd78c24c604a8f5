"""Locates the libopus 1.6.1 source (model data included): downloads Debian's source package
opus 1.6.1-1 straight from the archive's pool over HTTP (no apt, no root, no change to the
system), or takes a release tarball or source tree the user names. Also the layout of dredfx's
cache folder.

Standard library only, so scripts can run it before dredfx is built:
    python3 dredfx/opus_source.py [TARBALL|DIR]     prints the unpacked source folder
"""
import glob
import hashlib
import os
import re
import shutil
import sys
import tarfile
import urllib.error
import urllib.request

VERSION = "1.6.1"
DEBIAN_VERSION = "1.6.1-1"
ORIG_TARBALL = "opus_1.6.1.orig.tar.xz"
ORIG_SHA256 = "001ac615b9f8f8994b229ad2b1a5969ed12ab48b0d154d0af1016a5899cd6ba1"
DSC = "opus_1.6.1-1.dsc"
DSC_SHA256 = "41d4a0cec7ee0abd138291090ccb896c4b521efa565ef4ca7795232fe92ce30f"
POOL = "pool/main/o/opus"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
APT_SOURCES = ("/etc/apt/sources.list", "/etc/apt/sources.list.d")


class SourceError(RuntimeError):
    """The libopus source could not be found or obtained."""


def cache_dir():
    """dredfx's per-user cache folder ($DREDFX_CACHE, else $XDG_CACHE_HOME/dredfx)."""
    d = os.environ.get("DREDFX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "dredfx")
    os.makedirs(d, exist_ok=True)
    return d


def weights_blob_path():
    """Where `dredfx weights import` writes the weight blob."""
    return os.path.join(cache_dir(), "weights", "dredfx-weights-libopus-%s.bin" % VERSION)


def _log(msg):
    print("dredfx: " + msg, file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def apt_mirror(paths=APT_SOURCES):
    """The Debian archive this machine's apt sources name (deb822 URIs: or one-line deb entries;
    security and other archives skipped), else deb.debian.org."""
    files = []
    for p in paths:
        files += sorted(glob.glob(os.path.join(p, "*.sources")) + glob.glob(os.path.join(p, "*.list"))) \
            if os.path.isdir(p) else [p]
    for path in files:
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        uris = re.findall(r"^URIs:\s*(.+)$", text, re.M) + \
            [m.split()[0] for m in re.findall(r"^deb(?:-src)?\s+(?:\[[^]]*\]\s+)?(\S+.*)$", text, re.M)]
        for uri in " ".join(uris).split():
            if re.match(r"https?://", uri) and re.search(r"/debian/?$", uri):
                return uri.rstrip("/")
    return DEFAULT_MIRROR


def download(name, sha256, mirror=None):
    """Fetches pool/main/o/opus/<name> from the Debian mirror into the cache, checks its pinned
    SHA-256 and returns its path (a cached copy with that SHA-256 is reused)."""
    dest = os.path.join(cache_dir(), name)
    if os.path.exists(dest) and sha256_file(dest) == sha256:
        return dest
    url = "%s/%s/%s" % (mirror or os.environ.get("DREDFX_DEBIAN_MIRROR") or apt_mirror(), POOL, name)
    _log("downloading %s" % url)
    tmp = dest + ".part"
    try:
        with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)
    except (urllib.error.URLError, OSError) as e:
        raise SourceError("could not download %s (%s); name an opus %s release tarball or source "
                          "tree instead (--source)" % (url, getattr(e, "reason", e), VERSION)) from None
    got = sha256_file(tmp)
    if got != sha256:
        os.remove(tmp)
        raise SourceError("%s has SHA-256 %s, expected %s: not Debian's opus %s; nothing was kept"
                          % (url, got, sha256, DEBIAN_VERSION))
    os.replace(tmp, dest)
    return dest


def download_debian_tarball(mirror=None):
    """Debian's opus 1.6.1-1 source package: its .dsc (pinned), which must list the release
    tarball with the pinned SHA-256, then the tarball itself. Returns the tarball's path."""
    with open(download(DSC, DSC_SHA256, mirror)) as f:
        listed = re.findall(r"^ ([0-9a-f]{64}) \d+ (\S+)$", f.read(), re.M)
    if (ORIG_SHA256, ORIG_TARBALL) not in listed:
        raise SourceError("%s does not list %s with SHA-256 %s" % (DSC, ORIG_TARBALL, ORIG_SHA256))
    return download(ORIG_TARBALL, ORIG_SHA256, mirror)


def check_tarball(path):
    digest = sha256_file(path)
    if digest != ORIG_SHA256:
        raise SourceError("%s is not the opus %s release tarball (SHA-256 %s, expected %s)"
                          % (path, VERSION, digest, ORIG_SHA256))


def unpack(tarball, dest):
    """Unpacks a release tarball into dest (the tarball's single top folder becomes dest)."""
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with tarfile.open(tarball) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(tmp, filter="data")
        else:
            tf.extractall(tmp)
    tops = [os.path.join(tmp, d) for d in os.listdir(tmp)]
    if len(tops) != 1 or not os.path.isdir(tops[0]):
        shutil.rmtree(tmp)
        raise SourceError("%s does not hold one opus source folder" % tarball)
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tops[0], dest)
    os.rmdir(tmp)


def source_tree(path=None):
    """The folder of an unpacked libopus 1.6.1 source tree, obtaining it if needed."""
    if path is not None:
        if os.path.isdir(path):
            if not os.path.exists(os.path.join(path, "dnn", "dred_rdovae_dec_data.c")):
                raise SourceError("%s is not an opus source tree with model data "
                                  "(no dnn/dred_rdovae_dec_data.c)" % path)
            return os.path.abspath(path)
        if not os.path.isfile(path):
            raise SourceError("no such file or folder: %s" % path)
        check_tarball(path)
        tarball = path
    else:
        dest = os.path.join(cache_dir(), "opus-" + VERSION)
        if os.path.exists(os.path.join(dest, ".dredfx-complete")):
            return dest
        tarball = download_debian_tarball()
        check_tarball(tarball)
    dest = os.path.join(cache_dir(), "opus-" + VERSION)
    unpack(tarball, dest)
    open(os.path.join(dest, ".dredfx-complete"), "w").close()
    return dest


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        print(source_tree(argv[0] if argv else None))
    except (SourceError, tarfile.TarError, OSError) as e:
        _log("error: %s" % e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
