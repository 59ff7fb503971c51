// The Compare page's linked maps, an st.components.v2 component (mounted by ui/compare_view.py): one
// canvas per model, the same test images on each, laid over the first model's map. Hovering a dot
// rings the same image on every map, in the browser alone (no rerun). A click on a dot, or a box
// dragged over dots, selects images and sends their positions to Python (the "selection" trigger:
// one rerun), which sends them back drawn on every map; a click on an empty spot clears it.
//
// What a test can read: the root's data-ready, data-hovered (the hovered image's position in the
// data, "" for none) and data-selected (how many are selected); on each map data-highlight (the
// image ringed there), data-highlight-x / -y (where, in CSS pixels of its canvas) and data-selected.

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"];
const PICK_RADIUS = 12; // CSS px: how close to a dot the pointer must be to hover or click it
const DRAG_MIN = 5; // CSS px: a shorter drag is a click
const PADDING = 0.05; // of the data's extent, around every map

function decode(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes.buffer;
}

class LinkedMaps {
  constructor(parent) {
    this.root = document.createElement("div");
    this.root.className = "cmp-root";
    this.grid = document.createElement("div");
    this.grid.className = "cmp-grid";
    this.legend = document.createElement("div");
    this.legend.className = "cmp-legend";
    this.info = document.createElement("div");
    this.info.className = "cmp-info";
    this.root.append(this.grid, this.legend, this.info);
    parent.appendChild(this.root);
    this.panels = [];
    this.hovered = null;
    this.selected = new Set();
    this.send = () => {};
    this.observer = new ResizeObserver(() => this.layout());
    this.observer.observe(this.root);
  }

  update(data) {
    this.data = data;
    const all = new Float32Array(decode(data.points)); // (maps, N, 2), already aligned
    this.count = data.rows.length;
    this.maps = data.names.map((_, m) => all.subarray(m * this.count * 2, (m + 1) * this.count * 2));
    this.labels = new Uint8Array(decode(data.labels));
    this.selected = new Set(data.selected);
    if (data.sprite !== this.spriteSource) {
      // Every shown image in one PNG, a tile per image: the hovered one is drawn beside its dot.
      this.spriteSource = data.sprite;
      this.sprite = new Image();
      this.sprite.src = `data:image/png;base64,${data.sprite}`;
    }
    if (this.hovered !== null && this.hovered >= this.count) this.hovered = null;
    if (this.panels.length !== this.maps.length) this.buildPanels();
    data.names.forEach((name, m) => { this.panels[m].title.textContent = name; });
    this.grid.style.gridTemplateColumns = `repeat(${this.maps.length}, minmax(0, 1fr))`;
    this.bounds();
    this.legend.innerHTML = "";
    data.classes.forEach((name, c) => {
      const item = document.createElement("span");
      item.innerHTML = `<i style="background:${this.colour(c)}"></i>`;
      item.append(name);
      this.legend.appendChild(item);
    });
    this.layout();
    this.root.dataset.ready = "1";
  }

  buildPanels() {
    this.grid.innerHTML = "";
    this.panels = this.maps.map((_, m) => {
      const panel = document.createElement("div");
      panel.className = "cmp-map";
      panel.dataset.map = String(m);
      const title = document.createElement("div");
      title.className = "cmp-title";
      const frame = document.createElement("div");
      frame.className = "cmp-frame";
      const base = document.createElement("canvas");
      const overlay = document.createElement("canvas");
      overlay.className = "cmp-overlay";
      frame.append(base, overlay);
      panel.append(title, frame);
      this.grid.appendChild(panel);
      const entry = {panel, title, frame, base, overlay, m, drag: null};
      this.listen(entry);
      return entry;
    });
  }

  bounds() {
    // One box for every map: after the alignment they share the first map's coordinates, so an
    // image's place can be compared by eye, and so can how spread each map is.
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const xy of this.maps) {
      for (let i = 0; i < xy.length; i += 2) {
        x0 = Math.min(x0, xy[i]); x1 = Math.max(x1, xy[i]);
        y0 = Math.min(y0, xy[i + 1]); y1 = Math.max(y1, xy[i + 1]);
      }
    }
    const pad = PADDING * Math.max(x1 - x0, y1 - y0, 1e-9);
    this.box = [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
  }

  layout() {
    if (!this.data) return;
    const ratio = window.devicePixelRatio || 1;
    for (const entry of this.panels) {
      const width = Math.max(50, entry.frame.clientWidth);
      const height = Math.min(width, this.data.height);
      entry.width = width; entry.height = height;
      entry.frame.style.height = `${height}px`;
      for (const canvas of [entry.base, entry.overlay]) {
        canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
        canvas.style.width = `${width}px`; canvas.style.height = `${height}px`;
        canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
      }
      const [x0, y0, x1, y1] = this.box;
      const scale = Math.min(width / (x1 - x0), height / (y1 - y0)); // the same scale along x and y
      entry.scale = scale;
      entry.offset = [(width - scale * (x1 - x0)) / 2, (height - scale * (y1 - y0)) / 2];
      this.drawBase(entry);
    }
    this.drawMarks();
  }

  toScreen(entry, i) {
    const xy = this.maps[entry.m];
    const [x0, , , y1] = this.box;
    return [entry.offset[0] + (xy[2 * i] - x0) * entry.scale, entry.offset[1] + (y1 - xy[2 * i + 1]) * entry.scale];
  }

  colour(c) {  // the app's one palette (ui/core/palette.py), sent with the data; D3's by default
    const palette = (this.data && this.data.palette) || PALETTE;
    return palette[c % palette.length];
  }

  dot(ctx, entry, i, radius) {
    const [px, py] = this.toScreen(entry, i);
    ctx.fillStyle = this.colour(this.labels[i]);
    ctx.beginPath();
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
    ctx.fill();
  }

  drawBase(entry) {
    const ctx = entry.base.getContext("2d");
    ctx.clearRect(0, 0, entry.width, entry.height);
    const radius = this.data.radius;
    const selecting = this.selected.size > 0;
    ctx.globalAlpha = selecting ? 0.12 : 0.8;
    for (let i = 0; i < this.count; i++) if (!this.selected.has(i)) this.dot(ctx, entry, i, radius);
    ctx.globalAlpha = 1;
    for (const i of this.selected) this.dot(ctx, entry, i, radius + 1);
    entry.panel.dataset.selected = String(this.selected.size);
  }

  drawMarks() {
    for (const entry of this.panels) {
      const ctx = entry.overlay.getContext("2d");
      ctx.clearRect(0, 0, entry.width, entry.height);
      if (entry.drag && entry.drag.moved) {
        const {x0, y0, x1, y1} = entry.drag;
        ctx.fillStyle = "rgba(120, 120, 120, 0.15)";
        ctx.strokeStyle = "rgba(60, 60, 60, 0.9)";
        ctx.lineWidth = 1;
        ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
        ctx.strokeRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
      }
      if (this.hovered === null) {
        entry.panel.dataset.highlight = "";
        entry.panel.dataset.highlightX = entry.panel.dataset.highlightY = "";
        continue;
      }
      const [px, py] = this.toScreen(entry, this.hovered);
      this.dot(ctx, entry, this.hovered, this.data.radius + 2);
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(px, py, this.data.radius + 7, 0, 2 * Math.PI);
      ctx.stroke();
      if (entry.m === this.hoveredMap) this.thumbnail(ctx, entry, px, py);
      entry.panel.dataset.highlight = String(this.hovered);
      entry.panel.dataset.highlightX = px.toFixed(1);
      entry.panel.dataset.highlightY = py.toFixed(1);
    }
    this.root.dataset.hovered = this.hovered === null ? "" : String(this.hovered);
    this.root.dataset.selected = String(this.selected.size);
    const row = this.hovered === null ? null : this.data.rows[this.hovered];
    this.info.textContent = row === null
      ? this.data.hint
      : `Test image ${row} (${this.data.classes[this.labels[this.hovered]]}): ringed on every map.`;
  }

  thumbnail(ctx, entry, px, py) {
    // The hovered image, enlarged with sharp pixels, beside its dot on the map under the pointer.
    if (!this.sprite || !this.sprite.complete || !this.sprite.naturalWidth) return;
    const [h, w] = this.data.image_shape;
    const columns = this.data.sprite_columns;
    const size = Math.max(48, Math.min(96, Math.round(entry.width / 5)));
    const x = px + 14 + size <= entry.width ? px + 14 : px - 14 - size;
    const y = Math.min(Math.max(0, py - 14 - size), entry.height - size);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#fff";
    ctx.fillRect(x - 2, y - 2, size + 4, size + 4);
    const [tileX, tileY] = [(this.hovered % columns) * w, Math.floor(this.hovered / columns) * h];
    ctx.drawImage(this.sprite, tileX, tileY, w, h, x, y, size, size);
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1;
    ctx.strokeRect(x - 2, y - 2, size + 4, size + 4);
  }

  nearest(entry, x, y) {
    let best = null, bestDistance = PICK_RADIUS * PICK_RADIUS;
    for (let i = 0; i < this.count; i++) {
      const [px, py] = this.toScreen(entry, i);
      const distance = (px - x) ** 2 + (py - y) ** 2;
      if (distance <= bestDistance) { best = i; bestDistance = distance; }
    }
    return best;
  }

  inBox(entry, drag) {
    const [left, right] = [Math.min(drag.x0, drag.x1), Math.max(drag.x0, drag.x1)];
    const [top, bottom] = [Math.min(drag.y0, drag.y1), Math.max(drag.y0, drag.y1)];
    const chosen = [];
    for (let i = 0; i < this.count; i++) {
      const [px, py] = this.toScreen(entry, i);
      if (px >= left && px <= right && py >= top && py <= bottom) chosen.push(i);
    }
    return chosen;
  }

  select(indices) {
    const same = indices.length === this.selected.size && indices.every(i => this.selected.has(i));
    if (same) return;
    this.selected = new Set(indices);
    this.panels.forEach(entry => this.drawBase(entry)); // at once; Python's rerun sends the same back
    this.drawMarks();
    this.send("selection", indices);
  }

  listen(entry) {
    const where = event => {
      const rect = entry.overlay.getBoundingClientRect();
      return [event.clientX - rect.left, event.clientY - rect.top];
    };
    entry.overlay.addEventListener("pointermove", event => {
      const [x, y] = where(event);
      if (entry.drag) {
        entry.drag.x1 = x; entry.drag.y1 = y;
        entry.drag.moved ||= Math.hypot(x - entry.drag.x0, y - entry.drag.y0) >= DRAG_MIN;
        this.drawMarks();
        return;
      }
      const found = this.nearest(entry, x, y);
      if (found !== this.hovered || entry.m !== this.hoveredMap) {
        this.hovered = found; this.hoveredMap = entry.m; this.drawMarks();
      }
    });
    entry.overlay.addEventListener("pointerleave", () => {
      if (!entry.drag && this.hovered !== null) { this.hovered = null; this.drawMarks(); }
    });
    entry.overlay.addEventListener("pointerdown", event => {
      const [x, y] = where(event);
      entry.overlay.setPointerCapture(event.pointerId);
      entry.drag = {x0: x, y0: y, x1: x, y1: y, moved: false};
    });
    entry.overlay.addEventListener("pointerup", event => {
      const drag = entry.drag;
      entry.drag = null;
      if (!drag) return;
      const [x, y] = where(event);
      drag.x1 = x; drag.y1 = y;
      if (drag.moved) {
        this.select(this.inBox(entry, drag));
      } else {
        const found = this.nearest(entry, x, y);
        this.select(found === null ? [] : [found]);
      }
      this.drawMarks();
    });
  }
}

export default function (component) {
  const {data, parentElement, setTriggerValue} = component;
  // Called again with the same parentElement whenever Python sends new data: build once, then update.
  let view = parentElement.__linkedMaps;
  if (!view) {
    view = new LinkedMaps(parentElement);
    parentElement.__linkedMaps = view;
  }
  view.send = setTriggerValue;
  view.update(data);
  const generation = view.generation = (view.generation || 0) + 1;
  return () => {
    // Only the latest call's cleanup unmounts: an older call's may still arrive after a newer one.
    if (view.generation !== generation) return;
    view.observer.disconnect();
    view.root.remove();
    delete parentElement.__linkedMaps;
  };
}
