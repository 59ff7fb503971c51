// The Draw page's canvas (an st.components.v2 component, loaded by ui/draw_view.py; no build step).
//
// The student draws white on black with the mouse, a pen or a finger (pointer events). The strokes
// stay here while drawing; only when a stroke ends (pointer up) is the whole list sent to Python
// with setTriggerValue("strokes", ...): each call reruns the script, so never on pointer moves.
// A stroke is {w: pen width, p: [x0, y0, x1, y1, ...]} in canvas pixels (data.size square).
//
// Streamlit calls this function again whenever `data` changes (after every rerun), with the same
// parentElement: the canvas and its listeners are made once and kept in `root.__sketch`, and the
// local strokes win over data.strokes (a stroke drawn while Python was busy must not vanish).
// data.strokes is read only when the canvas is new (a remount, the page opened again).

export default function ({ data, parentElement, setTriggerValue }) {
  let root = parentElement.querySelector(".sketch");
  if (!root) {
    root = build(parentElement, data);
  }
  const state = root.__sketch;
  state.send = setTriggerValue;
  state.pen = Number(data.pen) || 20;
  state.hint = data.hint || "Draw here";
  redraw(state);
}

function build(parentElement, data) {
  const size = Number(data.size) || 280;
  const root = document.createElement("div");
  root.className = "sketch";
  root.innerHTML = `
    <canvas class="sketch-canvas" width="${size}" height="${size}" aria-label="drawing canvas"
            data-testid="sketch-canvas"></canvas>
    <div class="sketch-tools">
      <button type="button" class="sketch-undo">Undo</button>
      <button type="button" class="sketch-clear">Clear</button>
    </div>`;
  parentElement.appendChild(root);
  const canvas = root.querySelector("canvas");
  canvas.style.maxWidth = `${size}px`;
  const state = {
    canvas, size, strokes: copy(data.strokes), drawing: null, pen: 20, hint: "", send: () => {},
  };
  root.__sketch = state;

  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * size) / box.width;
    const y = ((event.clientY - box.top) * size) / box.height;
    return [Math.round(Math.min(Math.max(x, 0), size)), Math.round(Math.min(Math.max(y, 0), size))];
  };
  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    state.drawing = { w: state.pen, p: point(event) };
    redraw(state);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!state.drawing) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const moved of events.length ? events : [event]) {
      const [x, y] = point(moved);
      const p = state.drawing.p;
      if (Math.abs(x - p[p.length - 2]) + Math.abs(y - p[p.length - 1]) >= 1) p.push(x, y);
    }
    redraw(state);
  });
  const finish = () => {
    if (!state.drawing) return;
    state.strokes.push(state.drawing);
    state.drawing = null;
    redraw(state);
    state.send("strokes", copy(state.strokes));
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  canvas.addEventListener("lostpointercapture", finish);
  root.querySelector(".sketch-clear").addEventListener("click", () => {
    state.strokes = [];
    state.drawing = null;
    redraw(state);
    state.send("strokes", []);
  });
  root.querySelector(".sketch-undo").addEventListener("click", () => {
    if (!state.strokes.length) return;
    state.strokes.pop();
    redraw(state);
    state.send("strokes", copy(state.strokes));
  });
  return root;
}

function copy(strokes) {
  return Array.isArray(strokes) ? strokes.map((s) => ({ w: s.w, p: [...s.p] })) : [];
}

function redraw(state) {
  const context = state.canvas.getContext("2d");
  context.fillStyle = "#000";
  context.fillRect(0, 0, state.size, state.size);
  const all = state.drawing ? [...state.strokes, state.drawing] : state.strokes;
  if (!all.length) {
    context.fillStyle = "#777";
    context.font = "16px sans-serif";
    context.textAlign = "center";
    context.fillText(state.hint, state.size / 2, state.size / 2);
  }
  context.strokeStyle = "#fff";
  context.fillStyle = "#fff";
  context.lineCap = "round";
  context.lineJoin = "round";
  for (const stroke of all) {
    const p = stroke.p;
    context.lineWidth = stroke.w;
    if (p.length === 2) {
      context.beginPath();
      context.arc(p[0], p[1], stroke.w / 2, 0, 2 * Math.PI);
      context.fill();
      continue;
    }
    context.beginPath();
    context.moveTo(p[0], p[1]);
    for (let i = 2; i < p.length; i += 2) context.lineTo(p[i], p[i + 1]);
    context.stroke();
  }
}
