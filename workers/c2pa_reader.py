"""Reads one file's C2PA manifest store and prints it as JSON: run by workers.provenance as a process
of its own, so that a hostile file which hangs or crashes the C2PA library (native code) takes only
this process with it. Standard library and c2pa only: it starts in a fraction of a second.

stdin: {"path": …, "media_type": …, "trust_anchors": PEM text or ""}
stdout: {"reader": version, "store": the manifest store} | {"reader": …, "none": true} | {"reader": …, "error": …}"""

import json
import sys


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
    answer = read(json.load(sys.stdin))
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
