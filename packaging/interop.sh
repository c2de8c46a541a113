#!/bin/sh
# make interop: ModelFetch's stores checked against the real apps and Hub
# clients this machine can run; each check says so and is skipped when its
# peer is not here. Nothing here fetches or builds a peer: point at them.
#
#   OLLAMA_BIN    an ollama binary (one built from Ollama's public source
#                 will do, see ../shared/PLATFORM.md); else `ollama` on PATH
#   HF_HUB_SRC    huggingface_hub's src folder (its public source)
#   FILELOCK_SRC  filelock's src folder (Debian 12's python3-filelock is too old)
#
# Ollama: a small real GGUF made available through downloader/apps to
# `ollama serve` on a loopback port with a private OLLAMA_MODELS; /api/tags
# and /api/show are asked, the blob's inode and df are compared.
# huggingface_hub: snapshot_download(local_files_only=True) on a paused and
# a finished fetch, the modes under umask 002 and 077 side by side with its
# own, and its .locks taken both ways.
set -u
status=0
OLLAMA_BIN=${OLLAMA_BIN:-$(command -v ollama || true)}
if [ -n "$OLLAMA_BIN" ] && [ -x "$OLLAMA_BIN" ]; then
	echo "interop: Ollama at $OLLAMA_BIN"
	OLLAMA_BIN=$OLLAMA_BIN go test -count=1 -v -run 'TestOllamaInterop$' ./downloader/apps/ || status=1
	# The whole way: `modelfetch get --for` / `share` from a Hub, then Ollama asked.
	OLLAMA_BIN=$OLLAMA_BIN go test -count=1 -v -run 'TestShareWithApps$' ./ui/cli/ || status=1
else
	echo "interop: no Ollama here (set OLLAMA_BIN to an ollama binary): the Ollama check is skipped"
fi
if [ -n "${HF_HUB_SRC:-}" ] && [ -d "$HF_HUB_SRC/huggingface_hub" ]; then
	sh .ci/packages.sh python3 python3-requests python3-httpx python3-tqdm python3-yaml \
		python3-packaging python3-typing-extensions python3-fsspec || status=1
	echo "interop: huggingface_hub from $HF_HUB_SRC, filelock from ${FILELOCK_SRC:-the system}"
	HF_HUB_SRC=$HF_HUB_SRC FILELOCK_SRC=${FILELOCK_SRC:-} go test -count=1 -v -run 'TestPython' ./downloader/hf/ || status=1
else
	echo "interop: HF_HUB_SRC does not name huggingface_hub's src folder: the Python client checks are skipped"
fi
exit $status
