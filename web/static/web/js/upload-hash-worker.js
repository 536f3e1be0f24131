// The SHA-256 of a file, computed in a worker so the page stays responsive: the file is read a slice at a
// time (never whole into memory) and fed to hash-wasm's incremental SHA-256. The page sends
// {id, file, library, sliceBytes}; the worker answers {id, type: "progress", done}, then {id, type: "done",
// sha256} or {id, type: "error", message}. `library` is the vendored hash-wasm build (web/vendor.json).
/* global hashwasm */

let loaded = null;

self.onmessage = async (event) => {
  const { id, file, library, sliceBytes } = event.data;
  try {
    if (loaded !== library) {
      importScripts(library);
      loaded = library;
    }
    const sha256 = await hashwasm.createSHA256();
    sha256.init();
    let lastReport = 0;
    for (let start = 0; start < file.size; start += sliceBytes) {
      const end = Math.min(start + sliceBytes, file.size);
      sha256.update(new Uint8Array(await file.slice(start, end).arrayBuffer()));
      const now = Date.now();
      if (now - lastReport > 150 || end === file.size) {
        self.postMessage({ id, type: "progress", done: end });
        lastReport = now;
      }
    }
    self.postMessage({ id, type: "done", sha256: sha256.digest("hex") });
  } catch (error) {
    self.postMessage({ id, type: "error", message: String((error && error.message) || error) });
  }
};
