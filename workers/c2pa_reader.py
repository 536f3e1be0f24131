"""Reads one file's C2PA manifest store and prints it as JSON: run by workers.provenance as a process
of its own, so that a hostile file which hangs or crashes the C2PA library (native code) takes only
this process with it. Standard library and c2pa only: it starts in a fraction of a second.

Before it opens the file it limits itself: CPU time and address space (a file that makes the library
spin or allocate without end is stopped by the kernel), and it asks the kernel to kill it when the
worker that started it dies (so a SIGKILLed worker leaves no reader behind). It does this itself
rather than in a preexec_fn: the worker has threads (its lease heartbeat), and running Python
between fork and exec in a threaded process can deadlock.

stdin: {"path": …, "media_type": …, "trust_anchors": PEM text or "",
        "cpu_seconds": n, "memory_bytes": n, "parent_pid": the worker's pid}
stdout: {"reader": version, "store": the manifest store} | {"reader": …, "none": true} | {"reader": …, "error": …}"""

import ctypes
import json
import os
import resource
import signal
import sys

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PARENT_GONE = 3  # the exit status when the worker died before the reader could ask to follow it


def limit_self(request: dict) -> None:
    """Applies the limits the request names; exits if the worker that sent it is already gone."""
    if memory := request.get("memory_bytes"):
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if cpu := request.get("cpu_seconds"):
        # SIGXCPU at the soft limit, SIGKILL a second later if that is caught.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if parent := request.get("parent_pid"):
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # it died before the line above: nobody would ever kill us
            sys.exit(_PARENT_GONE)


def read(request: dict) -> dict:
    import c2pa

    reader_version = f"c2pa-python {c2pa.__version__} ({c2pa.sdk_version()})"
    context = c2pa.Context.from_dict(
        {
            "trust": {"trust_anchors": request["trust_anchors"] or None},
            # Nothing from the network: no remote manifests, no OCSP, no host allowed at all.
            "verify": {
                "verify_trust": True,
                "verify_timestamp_trust": True,
                "remote_manifest_fetch": False,
                "ocsp_fetch": False,
            },
            "core": {"allowed_network_hosts": []},
        }
    )
    try:
        with open(request["path"], "rb") as stream:
            reader = c2pa.Reader.try_create(request["media_type"], stream, context=context)
            if reader is None:
                return {"reader": reader_version, "none": True}
            with reader:
                return {"reader": reader_version, "store": json.loads(reader.json())}
    except c2pa.C2paError as error:
        return {"reader": reader_version, "error": str(error) or type(error).__name__}


def main() -> None:
    request = json.load(sys.stdin)
    limit_self(request)
    answer = read(request)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
