// Decode under the pointer: the Latent map's decoder runs here, in the browser, with ONNX Runtime
// Web (single-threaded WASM, vendored under static/ort/, nothing from a CDN). A pointer move over
// the plotly map is turned into map coordinates with plotly's own axes (so zoom and pan are
// followed), into a code with the mapping Python sent as data (exact, linear or a grid), and into
// an image, drawn in this panel and in a thumbnail beside the pointer. No pointer move ever reaches
// Python: clicks stay with the plotly chart, which reruns the script as before.
//
// window.__aePointer exposes what tests and bench/bench_pointer.py read: `decodes` (count),
// `last` ({x, y, code, image}), `ready`, `ort` (the runtime) and `decodeAt(x, y)` (a Promise of the
// same record).

const INSTANCES = new WeakMap(); // parentElement -> this mount's state
let ortLoading = null;

function loadOrt(path) {
  // An absolute URL: this module itself is loaded from a blob, against which a bare path cannot resolve.
  const base = new URL(path, window.location.href).href;
  if (!ortLoading) {
    ortLoading = import(/* @vite-ignore */ base + "ort.wasm.min.mjs").then((ort) => {
      ort.env.wasm.numThreads = 1; // no SharedArrayBuffer, so no COOP/COEP headers are needed
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmPaths = base;
      return ort;
    });
  }
  return ortLoading;
}

function bytesOf(b64) {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function floatsOf(b64) {
  return b64 ? new Float32Array(bytesOf(b64).buffer) : null;
}

function prepareMapping(m) {
  return { kind: m.kind, dim: m.dim, origin: floatsOf(m.origin), axes: floatsOf(m.axes),
           xs: m.xs, ys: m.ys, codes: floatsOf(m.codes) };
}

// Where a value falls on evenly spaced nodes: the lower node and the fraction across, held at the ends
// (aecore.latent.mapping._cell, the reference this is tested against).
function cell(nodes, value) {
  const n = nodes.length;
  const step = (nodes[n - 1] - nodes[0]) / (n - 1);
  const position = Math.min(Math.max((value - nodes[0]) / step, 0), n - 1);
  const index = Math.min(Math.floor(position), n - 2);
  return [index, position - index];
}

function toCode(m, x, y, out) {
  const d = m.dim;
  if (m.kind === "exact") {
    out[0] = x; out[1] = y;
  } else if (m.kind === "linear") {
    for (let k = 0; k < d; k++) out[k] = m.origin[k] + x * m.axes[k] + y * m.axes[d + k];
  } else {
    const nx = m.xs.length;
    const [i, fx] = cell(m.xs, x);
    const [j, fy] = cell(m.ys, y);
    const c = m.codes, a = (j * nx + i) * d, b = a + d, e = a + nx * d, f = e + d;
    for (let k = 0; k < d; k++) {
      const bottom = c[a + k] * (1 - fx) + c[b + k] * fx;
      const top = c[e + k] * (1 - fx) + c[f + k] * fx;
      out[k] = bottom * (1 - fy) + top * fy;
    }
  }
  return out;
}

function drawImage(inst, pixels) {
  const [channels, height, width] = inst.shape;
  const picture = inst.pixels;
  const plane = height * width;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const value = pixels[(channels === 3 ? c * plane : 0) + p];
      picture.data[4 * p + c] = Math.round(Math.min(Math.max(value, 0), 1) * 255);
    }
    picture.data[4 * p + 3] = 255;
  }
  inst.scratch.getContext("2d").putImageData(picture, 0, 0);
  for (const canvas of [inst.panel, inst.floater]) {
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.drawImage(inst.scratch, 0, 0, canvas.width, canvas.height);
  }
}

async function decode(inst, x, y) {
  const code = toCode(inst.mapping, x, y, new Float32Array(inst.mapping.dim));
  const feeds = { z: new inst.ort.Tensor("float32", code, [1, code.length]) };
  const output = await inst.session.run(feeds);
  const image = output.image.data;
  drawImage(inst, image);
  inst.label.textContent = `(${x.toFixed(2)}, ${y.toFixed(2)})`;
  const record = { x, y, code: Array.from(code), image };
  const shared = window.__aePointer;
  shared.decodes += 1;
  shared.last = record;
  inst.root.dataset.decodes = String(shared.decodes);
  return record;
}

// One decode at a time, whoever asks (the pointer or decodeAt): a session runs one call at a time.
function serial(inst, task) {
  const done = inst.queue.then(task);
  inst.queue = done.catch(() => {});
  return done;
}

// A pointer that moved during a decode is decoded next, at its latest position only.
async function pump(inst) {
  if (inst.busy || !inst.session) return;
  inst.busy = true;
  try {
    while (inst.wanted) {
      const { x, y } = inst.wanted;
      inst.wanted = null;
      await serial(inst, () => decode(inst, x, y));
    }
  } finally {
    inst.busy = false;
  }
}

function mapPoint(event) {
  const gd = document.querySelector("[data-testid='stMain'] [data-testid='stPlotlyChart'] .js-plotly-plot");
  const layout = gd && gd._fullLayout;
  if (!layout || !layout.xaxis || !layout.yaxis) return null;
  const xa = layout.xaxis, ya = layout.yaxis, rect = gd.getBoundingClientRect();
  const px = event.clientX - rect.left - xa._offset, py = event.clientY - rect.top - ya._offset;
  if (px < 0 || py < 0 || px > xa._length || py > ya._length) return null;
  return { x: xa.p2d(px), y: ya.p2d(py) };
}

function onPointerMove(inst, event) {
  const point = mapPoint(event);
  if (!point || !inst.session) {
    inst.floater.style.display = "none";
    return;
  }
  inst.floater.style.display = "block";
  inst.floater.style.left = `${event.clientX + 16}px`;
  inst.floater.style.top = `${event.clientY + 16}px`;
  inst.wanted = point;
  pump(inst);
}

function setup(parentElement) {
  const root = parentElement.querySelector(".ae-pointer");
  const inst = {
    root, panel: root.querySelector("canvas.ae-panel"), floater: root.querySelector("canvas.ae-floater"),
    label: root.querySelector(".ae-where"), status: root.querySelector(".ae-status"),
    note: root.querySelector(".ae-note"), scratch: document.createElement("canvas"),
    session: null, modelId: null, mappingId: null, wanted: null, busy: false, queue: Promise.resolve(),
  };
  inst.listener = (event) => onPointerMove(inst, event);
  inst.leave = () => { inst.floater.style.display = "none"; };
  document.addEventListener("pointermove", inst.listener, { capture: true, passive: true });
  document.documentElement.addEventListener("mouseleave", inst.leave); // the pointer left the window
  INSTANCES.set(parentElement, inst);
  return inst;
}

async function loadModel(inst, data) {
  inst.session = null;
  inst.root.dataset.ready = "loading";
  inst.status.textContent = "Loading the decoder into the browser…";
  try {
    const ort = await loadOrt(data.ort_base);
    const session = await ort.InferenceSession.create(bytesOf(data.onnx), {
      executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    if (inst.modelId !== data.model_id) return; // another model arrived while this one loaded
    inst.ort = ort;
    inst.session = session;
    inst.root.dataset.ready = "ready";
    window.__aePointer.ready = true;
    window.__aePointer.ort = ort; // for bench/bench_pointer.py, which times other decoders with it
    inst.status.textContent = "Move the pointer over the map: this image follows it, decoded in your browser.";
  } catch (error) {
    inst.root.dataset.ready = "error";
    inst.status.textContent = `The in-browser decoder could not start (${error}); clicks still decode on the server.`;
  }
}

export default function ({ data, parentElement }) {
  const inst = INSTANCES.get(parentElement) || setup(parentElement);
  if (!window.__aePointer) {
    window.__aePointer = { decodes: 0, last: null, ready: false };
  }
  window.__aePointer.decodeAt = (x, y) => serial(inst, () => decode(inst, x, y));
  if (inst.mappingId !== data.mapping_id) {
    inst.mappingId = data.mapping_id;
    inst.mapping = prepareMapping(data.mapping);
  }
  inst.note.textContent = data.note || "";
  if (inst.modelId !== data.model_id) {
    inst.modelId = data.model_id;
    inst.shape = data.shape;
    inst.scratch.width = data.shape[2];
    inst.scratch.height = data.shape[1];
    inst.pixels = new ImageData(data.shape[2], data.shape[1]);
    inst.floater.width = 96;
    inst.floater.height = Math.round((96 * data.shape[1]) / data.shape[2]);
    inst.panel.width = 0; // sized below
    window.__aePointer.ready = false;
    loadModel(inst, data);
  }
  if (inst.panel.width !== data.size_px) { // a new model, or presenter mode's larger size
    inst.panel.width = data.size_px;
    inst.panel.height = Math.round((data.size_px * data.shape[1]) / data.shape[2]);
  }
  return () => {
    document.removeEventListener("pointermove", inst.listener, { capture: true });
    document.documentElement.removeEventListener("mouseleave", inst.leave);
    INSTANCES.delete(parentElement);
  };
}
