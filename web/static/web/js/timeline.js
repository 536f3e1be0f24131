// The case home's timeline: a bar per day or week (how many incidents began then), drawn as SVG, and a brush:
// dragging across the bars (or clicking one) chooses a period, which the page turns into the list's dates.
//
//   import { drawTimeline } from "./timeline.js";
//   const timeline = drawTimeline(container, {period: "week", bars: [["2022-02-21", "2022-02-27", 12], …]},
//                                 {onBrush: (from, to) => …});   // from/to "YYYY-MM-DD", or null, null
//   timeline.select(from, to);   // show a period chosen elsewhere (the date fields)
//
// The date fields of the list's filters do what the brush does from the keyboard.

const SVG = "http://www.w3.org/2000/svg";
const BAR = 10; // units of the drawing per bar; the drawing is stretched to the container's width
const HEIGHT = 80;

function svg(name, attributes = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

function formatDay(iso) {
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString(document.documentElement.lang || undefined, {
    timeZone: "UTC",
    year: "numeric",
    month: "short",
    day: "numeric",
  });
}

export function drawTimeline(container, data, { onBrush = () => {} } = {}) {
  const bars = data.bars;
  const most = Math.max(1, ...bars.map((bar) => bar.at(2)));
  const total = bars.reduce((sum, bar) => sum + bar.at(2), 0);
  const width = bars.length * BAR;
  const labelIncidents = container.dataset.labelIncidents || "";
  const drawing = svg("svg", {
    viewBox: `0 0 ${width} ${HEIGHT}`,
    preserveAspectRatio: "none",
    class: "timeline-drawing",
    role: "img",
    "aria-label": `${total} ${labelIncidents}: ${formatDay(bars[0][0])} – ${formatDay(bars.at(-1)[1])}`,
  });
  const selection = svg("rect", { x: 0, y: 0, width: 0, height: HEIGHT, class: "timeline-selection" });
  drawing.append(selection);
  const rects = bars.map(([start, end, count], index) => {
    const height = count ? Math.max(2, (count / most) * (HEIGHT - 4)) : 0;
    const rect = svg("rect", {
      x: index * BAR + 1,
      y: HEIGHT - height,
      width: BAR - 2,
      height,
      class: "timeline-bar",
    });
    const title = svg("title");
    title.textContent = `${start === end ? formatDay(start) : `${formatDay(start)} – ${formatDay(end)}`}: ${count}`;
    rect.append(title);
    drawing.append(rect);
    return rect;
  });
  // A transparent surface on top takes the pointer, so gaps between bars can be dragged across too.
  const surface = svg("rect", { x: 0, y: 0, width, height: HEIGHT, class: "timeline-surface" });
  drawing.append(surface);

  const axis = document.createElement("div");
  axis.className = "timeline-axis";
  const first = document.createElement("span");
  first.textContent = formatDay(bars[0][0]);
  const peak = document.createElement("span");
  peak.className = "muted";
  peak.textContent = `max ${most}`;
  const last = document.createElement("span");
  last.textContent = formatDay(bars.at(-1)[1]);
  axis.append(first, peak, last);

  const clear = document.createElement("button");
  clear.type = "button";
  clear.className = "button-quiet timeline-clear";
  clear.textContent = container.dataset.labelClear || "×";
  clear.hidden = true;
  clear.addEventListener("click", () => {
    show(null, null);
    onBrush(null, null);
  });

  container.replaceChildren(drawing, axis, clear);

  function indexAt(event) {
    const box = drawing.getBoundingClientRect();
    const fraction = (event.clientX - box.left) / box.width;
    return Math.min(bars.length - 1, Math.max(0, Math.floor(fraction * bars.length)));
  }

  function show(fromIndex, toIndex) {
    if (fromIndex === null) {
      selection.setAttribute("width", 0);
      for (const rect of rects) rect.classList.remove("timeline-bar-chosen");
      clear.hidden = true;
      return;
    }
    const [a, b] = fromIndex <= toIndex ? [fromIndex, toIndex] : [toIndex, fromIndex];
    selection.setAttribute("x", a * BAR);
    selection.setAttribute("width", (b - a + 1) * BAR);
    rects.forEach((rect, index) => rect.classList.toggle("timeline-bar-chosen", index >= a && index <= b));
    clear.hidden = false;
  }

  let anchor = null;
  surface.addEventListener("pointerdown", (event) => {
    anchor = indexAt(event);
    surface.setPointerCapture(event.pointerId);
    show(anchor, anchor);
  });
  surface.addEventListener("pointermove", (event) => {
    if (anchor !== null) show(anchor, indexAt(event));
  });
  surface.addEventListener("pointerup", (event) => {
    if (anchor === null) return;
    const end = indexAt(event);
    const [a, b] = anchor <= end ? [anchor, end] : [end, anchor];
    anchor = null;
    show(a, b);
    onBrush(bars[a][0], bars[b][1]);
  });

  /** Shows the bars a period (dates "YYYY-MM-DD", either may be empty) covers. */
  function select(from, to) {
    if (!from && !to) return show(null, null);
    const a = from ? bars.findIndex((bar) => bar[1] >= from) : 0;
    const toIndex = to ? bars.findLastIndex((bar) => bar[0] <= to) : bars.length - 1;
    if (a === -1 || toIndex === -1 || toIndex < a) return show(null, null);
    return show(a, toIndex);
  }

  return { select };
}
