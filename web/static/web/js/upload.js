// Uploading evidence (web/templates/web/upload.html, web/views/upload.py).
//
// Each file dropped or chosen is hashed (SHA-256) in a worker, a slice at a time, before a byte is sent.
// It is then sent with tus-js-client (the tus protocol, in pieces of data-chunk-bytes): a dropped
// connection is retried from the offset the server has, and the upload's address is kept in the
// browser's storage under a fingerprint that includes the SHA-256, so adding the same file again, even
// after the page was closed, goes on from where it stopped. Once its last byte is in, the page asks the
// server (?id=…) how far intake has come: received, hashed, then archived, duplicate, corrupt or failed.
// The receipt page lists what was received. Strings come translated in #upload-messages.
/* global tus */

const FIELDS = [
  "title", "kind", "source_type", "source", "source_url", "captured_at", "acquired_at", "confidentiality",
  "incidents", "protected_persons",
];
const PARALLEL_UPLOADS = 3;
const POLL_MS = 1500;
const HASH_SLICE_BYTES = 8 * 1024 * 1024;
// Answers that trying again will not change: the page says why instead.
const NO_RETRY = new Set([400, 403, 404, 410, 411, 412, 413, 415]);
const STAGES = ["sent", "received", "hashed", "archived"];
const FINAL = new Set(["archived", "duplicate", "corrupt", "failed"]);

const form = document.querySelector("form[data-upload]");
if (form) setUp(form);

function setUp(form) {
  const text = JSON.parse(document.getElementById("upload-messages").textContent);
  const config = form.dataset;
  const endpoint = new URL(config.endpoint, window.location.href).href;
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const list = form.querySelector("[data-list]");
  const summary = form.querySelector("[data-summary]");
  const startButton = form.querySelector("[data-start]");
  const receiptLink = form.querySelector("[data-receipt-link]");
  const dropzone = form.querySelector("[data-dropzone]");
  const rowTemplate = document.getElementById("upload-row");
  const fieldsTemplate = document.getElementById("upload-file-fields");
  const maxBytes = Number(config.maxBytes);
  const entries = [];
  let counter = 0;
  let polling = false;

  const format = (message, values) => message.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
  const bytes = (count) => {
    const units = text.units;
    let value = count;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
  };

  // --- The hash worker: one file at a time, so a folder of videos does not read the disk in parallel ---
  const worker = new Worker(config.hashWorker);
  const hashJobs = new Map();
  const hashQueue = [];
  let hashing = null;
  worker.onmessage = (event) => {
    const { id, type } = event.data;
    const job = hashJobs.get(id);
    if (!job) return;
    if (type === "progress") {
      job.onProgress(event.data.done);
      return;
    }
    hashJobs.delete(id);
    hashing = null;
    if (type === "done") job.resolve(event.data.sha256);
    else job.reject(new Error(event.data.message));
    nextHash();
  };
  worker.onerror = (event) => {
    event.preventDefault();
    for (const job of hashJobs.values()) job.reject(new Error(event.message || "worker"));
    hashJobs.clear();
    hashing = null;
  };
  function nextHash() {
    if (hashing || !hashQueue.length) return;
    hashing = hashQueue.shift();
    hashJobs.set(hashing.id, hashing);
    worker.postMessage({ id: hashing.id, file: hashing.file, library: config.hashLibrary, sliceBytes: HASH_SLICE_BYTES });
  }
  function sha256Of(file, onProgress) {
    return new Promise((resolve, reject) => {
      counter += 1;
      hashQueue.push({ id: `h${counter}`, file, onProgress, resolve, reject });
      nextHash();
    });
  }

  // --- Files in, one row each ---
  function addFiles(files) {
    for (const file of files) {
      const known = entries.some((entry) => !entry.removed && entry.file.name === file.name
        && entry.file.size === file.size && entry.file.lastModified === file.lastModified);
      if (!known) addEntry(file);
    }
    refresh();
  }

  function addEntry(file) {
    counter += 1;
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    const entry = { n: counter, file, row, sha256: "", state: "hashing", queued: false, upload: null, id: "", final: false };
    entries.push(entry);
    row.dataset.file = file.name;
    row.querySelector("[data-name]").textContent = file.name;
    row.querySelector("[data-size]").textContent = bytes(file.size);
    const progress = row.querySelector("[data-progress]");
    progress.setAttribute("aria-label", format(text.progressOf, { name: file.name }));
    const details = row.querySelector("[data-own-fields]");
    details.addEventListener("toggle", () => {
      if (details.open && !entry.fieldsRoot) ownFields(entry, details.querySelector("[data-fields]"));
    });
    row.querySelector("[data-remove]").addEventListener("click", () => remove(entry));
    row.querySelector("[data-pause]").addEventListener("click", () => pause(entry));
    list.append(row);
    if (file.size === 0) return fail(entry, text.empty);
    if (file.size > maxBytes) return fail(entry, format(text.tooLarge, { limit: bytes(maxBytes) }));
    show(entry, "hashing", format(text.hashing, { percent: 0 }), 0);
    sha256Of(file, (done) => show(entry, "hashing", format(text.hashing, { percent: percent(done, file.size) }), percent(done, file.size)))
      .then((sha256) => {
        entry.sha256 = sha256;
        row.querySelector("[data-hash]").textContent = format(text.yourHash, { sha256 });
        if (entry.removed) return;
        if (entry.queued) {
          show(entry, "waiting", text.waiting, 0);
          pump();
        } else {
          show(entry, "ready", text.ready, 0);
        }
        refresh();
      })
      .catch((error) => fail(entry, format(text.hashFailed, { reason: error.message })));
    return undefined;
  }

  // A file's own fields: a copy of the batch's, empty meaning "as for the batch", made when first opened.
  function ownFields(entry, container) {
    const copy = fieldsTemplate.content.cloneNode(true);
    for (const element of copy.querySelectorAll("[id], [for], [name], [aria-describedby]")) {
      for (const attribute of ["id", "for", "name", "aria-describedby"]) {
        const value = element.getAttribute(attribute);
        if (value) element.setAttribute(attribute, value.replaceAll("each-", `f${entry.n}-`));
      }
    }
    container.append(copy);
    entry.fieldsRoot = container;
    if (entry.upload) lockFields(entry);
  }

  // Once a file is being sent, its fields are those it was sent with: they can no longer change.
  function lockFields(entry) {
    entry.row.querySelector("[data-own-fields]").hidden = true;
    if (!entry.fieldsRoot) return;
    for (const control of entry.fieldsRoot.querySelectorAll("input, select, textarea")) control.disabled = true;
  }

  function valueOf(root, name) {
    const control = root && root.querySelector(`[name="${name}"]`);
    if (!control) return "";
    if (control.multiple) return Array.from(control.selectedOptions, (option) => option.value).join(",");
    return control.value.trim();
  }

  function metadataFor(entry) {
    const metadata = { filename: entry.file.name, sha256: entry.sha256 };
    for (const name of FIELDS) {
      const own = valueOf(entry.fieldsRoot, `f${entry.n}-${name}`);
      const value = own !== "" ? own : valueOf(form, `batch-${name}`);
      if (value !== "") metadata[name] = value;
    }
    return metadata;
  }

  // --- Sending ---
  function pump() {
    let active = entries.filter((entry) => entry.state === "uploading" || entry.state === "retrying").length;
    for (const entry of entries) {
      if (active >= PARALLEL_UPLOADS) break;
      if (entry.queued && entry.sha256 && !entry.upload && !entry.removed && entry.state !== "failed") {
        active += 1;
        send(entry);
      }
    }
    refresh();
  }

  async function send(entry) {
    show(entry, "uploading", text.starting, 0);
    entry.row.querySelector("[data-pause]").hidden = false;
    entry.row.querySelector("[data-remove]").textContent = text.cancel;
    const upload = new tus.Upload(entry.file, {
      endpoint,
      chunkSize: Number(config.chunkBytes),
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
      metadata: metadataFor(entry),
      headers: { "X-CSRFToken": csrfToken },
      // The same bytes under the same name, for the same person and case: never a different file's upload.
      fingerprint: async (file) => ["slid", config.user, config.case, file.name, file.size, entry.sha256].join("|"),
      removeFingerprintOnSuccess: true,
      onUploadUrlAvailable: () => {
        const match = /\/uploads\/([0-9a-f-]{36})\/?$/.exec(upload.url || "");
        if (match) entry.id = match[1];
      },
      onAfterResponse: (request, response) => {
        // Going on from an earlier upload: the server says how many bytes it already has.
        if (request.getMethod() === "HEAD" && entry.resumedAt === undefined && response.getStatus() === 200) {
          entry.resumedAt = Number(response.getHeader("Upload-Offset"));
        }
      },
      onProgress: (sent, total) => {
        const done = percent(sent, total);
        const message = entry.resumedAt
          ? format(text.resumed, { from: bytes(entry.resumedAt), sent: bytes(sent), total: bytes(total), percent: done })
          : format(text.uploading, { sent: bytes(sent), total: bytes(total), percent: done });
        show(entry, "uploading", message, done);
      },
      onShouldRetry: (error) => {
        const status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        if (NO_RETRY.has(status)) return false;
        show(entry, "retrying", text.retrying, null);
        return true;
      },
      onError: (error) => {
        fail(entry, reasonOf(error));
        pump();
      },
      onSuccess: () => {
        entry.final = false;
        show(entry, "sent", text.sent, 100);
        entry.row.querySelector("[data-pause]").hidden = true;
        entry.row.querySelector("[data-remove]").hidden = true;
        stage(entry, "sent");
        pump();
        poll();
      },
    });
    entry.upload = upload;
    lockFields(entry);
    try {
      const previous = await upload.findPreviousUploads();
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
    } catch {
      // No storage (a private window): the upload starts from its first byte.
    }
    if (!entry.removed) upload.start();
  }

  function reasonOf(error) {
    const response = error.originalResponse;
    if (!response) return text.network;
    const status = response.getStatus();
    try {
      const body = JSON.parse(response.getBody());
      if (body.detail) return body.detail;
    } catch {
      // not JSON: an error page
    }
    return text.status[status] || format(text.statusOther, { status });
  }

  function pause(entry) {
    const button = entry.row.querySelector("[data-pause]");
    if (entry.state === "paused") {
      entry.upload.start();
      show(entry, "uploading", text.starting, null);
      button.textContent = text.pause;
    } else if (entry.upload) {
      entry.upload.abort();
      show(entry, "paused", text.paused, null);
      button.textContent = text.resume;
    }
  }

  function remove(entry) {
    entry.removed = true;
    if (entry.upload && entry.state !== "sent") {
      entry.upload.abort(true).catch(() => undefined); // tus termination: the server removes the bytes
      show(entry, "cancelled", text.cancelled, null);
      entry.row.querySelector("[data-pause]").hidden = true;
      entry.row.querySelector("[data-remove]").hidden = true;
    } else {
      entry.row.remove();
    }
    pump();
  }

  // --- Intake, followed on the server ---
  function poll() {
    if (polling) return; // one round at a time; each round asks about every file still in intake
    polling = true;
    pollOnce();
  }

  async function pollOnce() {
    const pending = entries.filter((entry) => entry.id && entry.state === "sent" && !entry.final);
    if (!pending.length) {
      polling = false;
      return;
    }
    const url = new URL(endpoint);
    for (const entry of pending) url.searchParams.append("id", entry.id);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const { uploads } = await response.json();
        for (const status of uploads) {
          const entry = pending.find((candidate) => candidate.id === status.id);
          if (entry) follow(entry, status);
        }
      }
    } catch {
      // the next round asks again
    }
    refresh();
    window.setTimeout(pollOnce, POLL_MS);
  }

  function follow(entry, status) {
    const item = status.item;
    if (!item) {
      if (status.final) {
        entry.final = true;
        fail(entry, status.reason || text.stage[status.stage] || status.stage);
      }
      return;
    }
    entry.ern = item.ern;
    entry.final = status.final;
    const row = entry.row;
    row.querySelector("[data-ern]").textContent = format(text.ern, { ern: item.ern });
    const verdict = row.querySelector("[data-verdict]");
    if (item.matches === true) {
      verdict.textContent = text.matches;
      verdict.className = "upload-verdict feedback-ok";
    } else if (item.matches === false) {
      verdict.textContent = format(text.mismatch, { received: item.sha256, yours: status.submitted_sha256 });
      verdict.className = "upload-verdict feedback-error";
    }
    stage(entry, status.stage);
    const label = text.stage[status.stage] || status.stage;
    const reason = item.status_reason && item.status !== "archived" ? ` — ${item.status_reason}` : "";
    row.querySelector("[data-status]").textContent = `${label}${reason}`;
    row.dataset.stage = status.stage;
  }

  function stage(entry, current) {
    const reached = STAGES.indexOf(FINAL.has(current) ? "archived" : current);
    entry.row.querySelectorAll("[data-stage]").forEach((element, index) => {
      element.classList.toggle("done", index <= reached && (index < reached || FINAL.has(current) || current === "sent"));
      element.classList.toggle("current", index === reached && !FINAL.has(current) && current !== "sent");
      if (index === STAGES.length - 1 && FINAL.has(current)) element.textContent = text.stage[current];
    });
    const badge = entry.row.querySelector("[data-badge]");
    badge.textContent = text.stage[current] || "";
    badge.className = `badge badge-${current}`;
  }

  // --- What the page shows ---
  function show(entry, state, message, done) {
    entry.state = state;
    entry.row.dataset.state = state;
    entry.row.querySelector("[data-status]").textContent = message;
    const progress = entry.row.querySelector("[data-progress]");
    if (done === null) return;
    progress.value = done;
    progress.hidden = false;
  }

  function fail(entry, reason) {
    entry.state = "failed";
    entry.final = true;
    entry.row.dataset.state = "failed";
    entry.row.querySelector("[data-status]").textContent = "";
    const error = entry.row.querySelector("[data-error]");
    error.textContent = reason;
    error.hidden = false;
    entry.row.querySelector("[data-progress]").hidden = true;
    entry.row.querySelector("[data-own-fields]").hidden = true;
    entry.row.querySelector("[data-pause]").hidden = true;
    entry.row.querySelector("[data-remove]").textContent = text.remove;
    entry.row.querySelector("[data-remove]").hidden = false;
    refresh();
  }

  function refresh() {
    const shown = entries.filter((entry) => entry.row.isConnected);
    const waiting = shown.filter((entry) => !entry.queued && !entry.upload && !entry.removed && entry.state !== "failed");
    startButton.disabled = waiting.length === 0;
    startButton.textContent = format(text.start, { n: waiting.length });
    const counts = {};
    for (const entry of shown) {
      // After the last byte, where intake has come; before it, what the page is doing with the file.
      const label = entry.state === "sent" ? text.stage[entry.row.dataset.stage || "sent"] : text.state[entry.state];
      counts[label || entry.state] = (counts[label || entry.state] || 0) + 1;
    }
    const parts = Object.entries(counts).map(([label, n]) => `${label}: ${n}`);
    const total = shown.reduce((sum, entry) => sum + entry.file.size, 0);
    summary.textContent = shown.length
      ? format(text.summary, { n: shown.length, size: bytes(total), parts: parts.join(" · ") })
      : "";
    const received = entries.filter((entry) => entry.ern);
    receiptLink.hidden = received.length === 0;
    if (received.length) {
      const url = new URL(config.receipt, window.location.href);
      for (const entry of received) url.searchParams.append("ern", entry.ern);
      receiptLink.href = url.pathname + url.search;
    }
  }

  function percent(done, total) {
    return total ? Math.floor((done / total) * 100) : 100;
  }

  // --- Dropping and choosing ---
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const entry of entries) {
      if (!entry.upload && !entry.removed && entry.state !== "failed") {
        entry.queued = true;
        if (entry.sha256) show(entry, "waiting", text.waiting, 0);
      }
    }
    pump();
  });
  // Enter in a field does not send the files: only the button does.
  form.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key === "Enter" && field instanceof HTMLInputElement && field.type !== "file") event.preventDefault();
  });
  for (const input of form.querySelectorAll("input[type=file][data-file-input]")) {
    input.addEventListener("change", () => {
      addFiles(Array.from(input.files));
      input.value = "";
    });
  }
  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("dropzone-over");
    });
  }
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("dropzone-over"));
  dropzone.addEventListener("drop", async (event) => {
    event.preventDefault();
    dropzone.classList.remove("dropzone-over");
    addFiles(await droppedFiles(event.dataTransfer));
  });
  window.addEventListener("beforeunload", (event) => {
    if (entries.some((entry) => ["uploading", "retrying", "hashing", "waiting"].includes(entry.state) && !entry.removed)) {
      event.preventDefault();
    }
  });
  refresh();
}

// Files dropped, folders walked (a phone's DCIM folder): the browser gives folders as entries.
async function droppedFiles(transfer) {
  const entries = Array.from(transfer.items || [])
    .filter((item) => item.kind === "file")
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (!entries.length || entries.some((entry) => !entry)) return Array.from(transfer.files || []);
  const files = [];
  for (const entry of entries) await walk(entry, files);
  return files;
}

async function walk(entry, files) {
  if (entry.isFile) {
    files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) await walk(child, files);
  }
}
