"""What the real huggingface_hub client sees in, and makes of, a Hub cache.

Run with its source on PYTHONPATH (and filelock's, newer than Debian 12's).
Each command prints one JSON line.

  snapshot CACHE REPO     snapshot_download(local_files_only=True) and scan_cache_dir
  modes CACHE UMASK       the writes of _hf_hub_download_to_cache_dir, under UMASK
  lock PATH SECONDS       WeakFileLock(PATH, timeout=SECONDS)
  hold PATH               hold WeakFileLock(PATH) until stdin closes
"""

import json
import os
import sys
from pathlib import Path

from huggingface_hub import scan_cache_dir, snapshot_download
from huggingface_hub.errors import IncompleteSnapshotError, LocalEntryNotFoundError

COMMIT = "1" * 40


def snapshot(cache, repo):
    out = {}
    try:
        out["path"] = snapshot_download(repo, cache_dir=cache, local_files_only=True)
        out["result"] = "ok"
    except IncompleteSnapshotError:
        out["result"] = "incomplete"
    except LocalEntryNotFoundError:
        out["result"] = "not found"
    info = scan_cache_dir(cache)
    out["repos"] = [
        {"id": r.repo_id, "revisions": [{"commit": v.commit_hash, "refs": sorted(v.refs), "files": sorted(f.file_name for f in v.files)} for v in r.revisions]}
        for r in info.repos
    ]
    out["warnings"] = [str(w) for w in info.warnings]
    return out


def modes(cache, umask):
    from huggingface_hub._local_folder import _create_cachedir_tag
    from huggingface_hub._tree_cache import TreeCacheEntry, write_tree_cache
    from huggingface_hub.file_download import (
        _cache_commit_hash_for_specific_revision,
        _chmod_and_move,
        _create_symlink,
        _get_pointer_path,
        repo_folder_name,
    )
    from huggingface_hub.utils import WeakFileLock
    import hashlib

    os.umask(umask)
    data = b"weights"
    etag = hashlib.sha256(data).hexdigest()
    folder = repo_folder_name(repo_id="org/Tiny-1B-GGUF", repo_type="model")
    storage = os.path.join(cache, folder)
    blob_path = os.path.join(storage, "blobs", etag)
    pointer_path = _get_pointer_path(storage, COMMIT, "model.gguf")
    # The steps of _hf_hub_download_to_cache_dir and snapshot_download, in order.
    os.makedirs(os.path.dirname(blob_path), exist_ok=True)
    os.makedirs(os.path.dirname(pointer_path), exist_ok=True)
    _create_cachedir_tag(Path(cache))
    _cache_commit_hash_for_specific_revision(storage, "main", COMMIT)
    write_tree_cache(storage, COMMIT, {"model.gguf": TreeCacheEntry(size=len(data), blob_id="b", lfs_sha256=etag, lfs_size=len(data))})
    lock_path = os.path.join(cache, ".locks", folder, f"{etag}.lock")
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(lock_path):
        tmp = Path(blob_path + ".1234abcd.incomplete")
        tmp.write_bytes(data)
        _chmod_and_move(tmp, Path(blob_path))
        _create_symlink(blob_path, pointer_path, new_blob=True)
    result = {}
    for root, dirs, files in os.walk(cache):
        for name in dirs + files:
            p = os.path.join(root, name)
            result[os.path.relpath(p, cache)] = oct(os.lstat(p).st_mode & 0o777)
    return result


def lock(path, seconds):
    from filelock import Timeout
    from huggingface_hub.utils import WeakFileLock

    try:
        with WeakFileLock(path, timeout=seconds):
            return {"result": "acquired"}
    except Timeout:
        return {"result": "timeout"}


def hold(path):
    from huggingface_hub.utils import WeakFileLock

    with WeakFileLock(path):
        print(json.dumps({"result": "held"}), flush=True)
        sys.stdin.read()
    return {"result": "released"}


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "snapshot":
        out = snapshot(*args)
    elif cmd == "modes":
        out = modes(args[0], int(args[1], 8))
    elif cmd == "lock":
        out = lock(args[0], float(args[1]))
    else:
        out = hold(args[0])
    print(json.dumps(out), flush=True)
