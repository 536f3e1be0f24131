"""Headers that WhiteNoise adds to some of the workspace's static files (WHITENOISE_ADD_HEADERS_FUNCTION).

The upload page computes each file's SHA-256 in a dedicated worker (web/static/web/js/upload-hash-worker.js)
with hash-wasm, which compiles WebAssembly. A dedicated worker runs under the policy its own script is sent
with, not the page's; the site's general policy (config.security) would forbid compiling WebAssembly
there. So that script alone is sent with a policy that allows it ('wasm-unsafe-eval': WebAssembly only,
never eval of JavaScript) and nothing else: scripts from Slid (the vendored hash-wasm), no connections."""

import re
from wsgiref.headers import Headers

# web/js/upload-hash-worker.js, and its name with the manifest's hash (upload-hash-worker.0123456789ab.js).
HASH_WORKER = re.compile(r"/web/js/upload-hash-worker(\.[0-9a-f]{12})?\.js$")
HASH_WORKER_POLICY = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'"


def add_static_headers(headers: Headers, path: str, url: str) -> None:
    if HASH_WORKER.search(url):
        headers["Content-Security-Policy"] = HASH_WORKER_POLICY
