"""Locates the libopus 1.6.1 source (model data included): from Debian's source package
opus 1.6.1-1 (suites forky/sid), or from a release tarball or source tree the user names.

Standard library only, so scripts can run it before dredfx is built:
    python3 dredfx/opus_source.py [TARBALL|DIR]     prints the unpacked source folder
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile

VERSION = "1.6.1"
DEBIAN_VERSION = "1.6.1-1"
ORIG_TARBALL = "opus_1.6.1.orig.tar.xz"
ORIG_SHA256 = "001ac615b9f8f8994b229ad2b1a5969ed12ab48b0d154d0af1016a5899cd6ba1"
DEB_SRC_LIST = "/etc/apt/sources.list.d/dredfx-opus-src.sources"
DEB_SRC_ENTRY = ("Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: forky sid\n"
                 "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")


class SourceError(RuntimeError):
    """The libopus source could not be found or obtained."""


def cache_dir():
    """dredfx's per-user cache folder ($DREDFX_CACHE, else $XDG_CACHE_HOME/dredfx)."""
    d = os.environ.get("DREDFX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "dredfx")
    os.makedirs(d, exist_ok=True)
    return d


def _log(msg):
    print("dredfx: " + msg, file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sudo():
    return [] if os.geteuid() == 0 else ["sudo"]


def download_debian_tarball():
    """Downloads opus_1.6.1.orig.tar.xz from Debian's source package into the cache (once)."""
    dest = os.path.join(cache_dir(), ORIG_TARBALL)
    if os.path.exists(dest):
        return dest
    if not shutil.which("apt-get"):
        raise SourceError("no libopus 1.6.1 source: apt-get is not available; name an opus 1.6.1 "
                          "release tarball or source tree instead")
    if not os.path.exists(DEB_SRC_LIST):
        _log("adding a deb-src entry for Debian forky/sid (%s)" % DEB_SRC_LIST)
        subprocess.run(_sudo() + ["tee", DEB_SRC_LIST], input=DEB_SRC_ENTRY.encode(),
                       stdout=subprocess.DEVNULL, check=True)
        subprocess.run(_sudo() + ["apt-get", "update", "-qq"], check=True)
    _log("downloading Debian source package opus=%s" % DEBIAN_VERSION)
    cmd = ["apt-get", "source", "--download-only", "-qq", "opus=" + DEBIAN_VERSION]
    if subprocess.run(cmd, cwd=cache_dir()).returncode != 0:
        subprocess.run(_sudo() + ["apt-get", "update", "-qq"], check=True)
        if subprocess.run(cmd, cwd=cache_dir()).returncode != 0:
            raise SourceError("apt-get could not download opus=%s" % DEBIAN_VERSION)
    return dest


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
    except (SourceError, subprocess.CalledProcessError, OSError) as e:
        _log("error: %s" % e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
