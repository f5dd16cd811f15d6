// Transcription progress and the transcript viewer.
//
// [data-progress]: polls the status endpoint and reloads the page when the transcript is ready.
// [data-transcript]: audio player synced with the segments; corrections (speaker, split,
// merge) are POSTed and each one makes a new transcript version on the server.

const POLL_MS = 1500;
const SPEAKER_LABELS = { worker: "Worker", client: "Client" };
const SPLIT_MARGIN = 0.05; // seconds: the server wants a point strictly inside the segment

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

function formatTime(seconds, decimals = 0) {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const sec = decimals ? rest.toFixed(decimals).padStart(3 + decimals, "0")
    : String(Math.floor(rest)).padStart(2, "0");
  const mm = String(m).padStart(2, "0");
  return h ? `${h}:${mm}:${sec}` : `${mm}:${sec}`;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "className") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

// ------------------------------------------------------------------ progress

async function watchProgress(root) {
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  let announced = -1;
  let failures = 0;
  for (;;) {
    let body;
    try {
      const response = await fetch(root.dataset.statusUrl, {
        credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
      failures = 0;
    } catch {
      failures += 1;
      if (failures === 3) part("message").textContent = "Cannot reach the server; still trying…";
      await sleep(Math.min(15000, POLL_MS * 2 ** failures));
      continue;
    }
    const percent = Math.floor((Number(body.progress) || 0) * 100);
    root.dataset.status = body.status;
    if (body.status === "processing" || body.status === "recording") {
      part("bar").value = percent;
      part("bar").textContent = `${percent} %`;
      part("percent").textContent = String(percent);
      if (body.error) part("message").textContent = `A problem occurred and is being retried: ${body.error}`;
      const quarter = Math.floor(percent / 25);
      if (quarter !== announced) { // announce every quarter, not every poll
        announced = quarter;
        part("message").textContent = percent
          ? `Transcribing: ${percent} % of the audio processed.`
          : "Preparing the audio…";
      }
    } else if (body.status === "ready") {
      part("bar").value = 100;
      part("percent").textContent = "100";
      part("message").textContent = "The transcript is ready. Loading it…";
      window.location.assign(root.dataset.pageUrl || window.location.href);
      return;
    } else if (body.status === "failed") {
      // the page explains the failure and offers to record again
      part("error").textContent = body.error || "The recording could not be transcribed.";
      part("error").hidden = false;
      window.location.assign(root.dataset.pageUrl || window.location.href);
      return;
    }
    await sleep(POLL_MS);
  }
}

// ------------------------------------------------------------------ transcript viewer

class TranscriptViewer {
  constructor(root) {
    this.root = root;
    this.jsonUrl = root.dataset.jsonUrl;
    this.editUrl = root.dataset.editUrl;
    this.csrfToken = root.dataset.csrfToken;
    this.part = (name) => root.querySelector(`[data-part="${name}"]`);
    this.audio = this.part("audio");
    this.list = this.part("segments");
    this.search = this.part("search");
    this.data = null;
    this.current = -1;
    this.busy = false;
  }

  async init() {
    this.list.addEventListener("click", (event) => this.onClick(event));
    this.audio.addEventListener("timeupdate", () => this.follow());
    this.audio.addEventListener("seeked", () => this.follow());
    this.audio.addEventListener("pause", () => this.follow());
    this.search.addEventListener("input", () => this.filter());
    this.swap = this.part("swap");
    this.swap.addEventListener("click", () => this.edit({ op: "swap", position: 0 }, this.swap));
    await this.load();
  }

  async load() {
    try {
      const response = await fetch(this.jsonUrl, {
        credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
      });
      const body = await readJson(response);
      if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
      this.render(body);
    } catch (error) {
      this.showError(`The transcript could not be loaded: ${error.message}`);
    }
  }

  showError(text) {
    this.part("error").textContent = text;
    this.part("error").hidden = !text;
  }

  // ---------------------------------------------------------------- rendering

  render(data) {
    this.data = data;
    this.root.dataset.version = String(data.version);
    this.part("version").textContent = data.version > 1
      ? `Version ${data.version} — corrections are kept as new versions; the recogniser's original stays.`
      : "Version 1, the recogniser's original. Each correction is kept as a new version; the original stays.";
    this.current = -1;
    this.list.replaceChildren(...data.segments.map((segment, index) => this.renderSegment(segment, index)));
    if (!data.segments.length) {
      this.list.append(el("li", { className: "muted" }, "No speech was recognised in this recording."));
    }
    this.renderTalkTime(data.talk_time || {});
    this.swap.disabled = this.busy || !data.segments.length;
    this.filter();
    this.follow();
  }

  renderSegment(segment, index) {
    const speaker = Object.prototype.hasOwnProperty.call(SPEAKER_LABELS, segment.speaker ?? "") ? segment.speaker : null;
    const label = speaker ? SPEAKER_LABELS[speaker] : "?";
    const number = index + 1;
    const play = el("button", { type: "button", className: "segment-play", dataset: { action: "play" } },
      el("span", { className: "visually-hidden" }, "Play from "),
      el("span", { className: "segment-time" }, formatTime(segment.start)),
      el("span", { className: "tag speaker-tag", title: speaker ? null : "Speaker not known" },
        speaker ? label : el("span", { "aria-hidden": "true" }, "?"),
        speaker ? null : el("span", { className: "visually-hidden" }, "Speaker not known")),
      el("span", { className: "segment-text" }, segment.text));
    const tools = el("div", { className: "segment-tools" });
    const targets = speaker ? [speaker === "worker" ? "client" : "worker"] : ["worker", "client"];
    for (const target of targets) {
      tools.append(el("button", {
        type: "button", className: "button secondary small",
        dataset: { action: "speaker", speaker: target },
        "aria-label": `Segment ${number}: set the speaker to ${SPEAKER_LABELS[target]}`,
      }, speaker ? `Switch to ${SPEAKER_LABELS[target]}` : SPEAKER_LABELS[target]));
    }
    tools.append(el("button", {
      type: "button", className: "button secondary small", dataset: { action: "split" },
      disabled: true, "aria-label": `Segment ${number}: split at the playback position`,
      title: "Play or move to the point inside this segment where it should be split",
    }, "Split here"));
    if (index + 1 < this.data.segments.length) {
      tools.append(el("button", {
        type: "button", className: "button secondary small", dataset: { action: "merge" },
        "aria-label": `Segment ${number}: merge with the next segment`,
      }, "Merge with next"));
    }
    return el("li", {
      className: `segment${speaker ? ` speaker-${speaker}` : " speaker-unknown"}`,
      id: `segment-${segment.position}`,
      dataset: { position: String(segment.position), speaker: speaker || "" },
    }, play, tools);
  }

  renderTalkTime(talk) {
    const rows = [["Worker", talk.worker || 0], ["Client", talk.client || 0], ["Not known", talk.unknown || 0]];
    const total = rows.reduce((sum, [, seconds]) => sum + seconds, 0);
    const body = this.part("talk-time");
    body.replaceChildren(...rows.map(([name, seconds]) => el("tr", { dataset: { speaker: name } },
      el("th", { scope: "row" }, name),
      el("td", { className: "num" }, seconds < 60 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`),
      el("td", { className: "num" }, total ? `${Math.round((100 * seconds) / total)} %` : "—"))));
  }

  // ---------------------------------------------------------------- search

  filter() {
    const query = this.search.value.trim().toLowerCase();
    let matches = 0;
    const items = this.list.querySelectorAll(".segment");
    for (const item of items) {
      const textNode = item.querySelector(".segment-text");
      const text = this.data.segments[Number(item.dataset.position)]?.text ?? textNode.textContent;
      const found = !query || text.toLowerCase().includes(query);
      item.hidden = !found;
      if (found) matches += 1;
      textNode.replaceChildren(...highlight(text, query));
    }
    this.part("search-status").textContent = query
      ? `${matches} of ${items.length} segments contain “${this.search.value.trim()}”.`
      : "";
  }

  // ---------------------------------------------------------------- playback

  segmentAt(time) {
    return this.data ? this.data.segments.findIndex((s) => s.start <= time && time < s.end) : -1;
  }

  follow() {
    if (!this.data) return;
    const time = this.audio.currentTime;
    const index = this.segmentAt(time);
    if (index !== this.current) {
      this.list.children[this.current]?.classList.remove("is-current");
      this.list.children[this.current]?.removeAttribute("aria-current");
      this.current = index;
      const item = this.list.children[index];
      if (item) {
        item.classList.add("is-current");
        item.setAttribute("aria-current", "true");
        if (!this.audio.paused && !item.contains(document.activeElement)) {
          item.scrollIntoView({ block: "nearest", behavior: reducedMotion() ? "auto" : "smooth" });
        }
      }
    }
    this.updateSplitButtons(time);
  }

  updateSplitButtons(time) {
    this.list.querySelectorAll('[data-action="split"]').forEach((button) => {
      const segment = this.data.segments[Number(button.closest("li").dataset.position)];
      const inside = segment.start + SPLIT_MARGIN < time && time < segment.end - SPLIT_MARGIN;
      button.disabled = this.busy || !inside;
      if (inside) button.textContent = `Split at ${formatTime(time, 1)}`;
      else button.textContent = "Split here";
    });
  }

  playFrom(seconds) {
    this.audio.currentTime = seconds;
    const played = this.audio.play();
    played?.catch(() => {}); // a refused autoplay still leaves the position set
  }

  onClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || !this.list.contains(button)) return;
    const item = button.closest("li");
    const position = Number(item.dataset.position);
    const segment = this.data.segments[position];
    switch (button.dataset.action) {
      case "play":
        this.playFrom(segment.start);
        break;
      case "speaker":
        this.edit({ op: "speaker", position, speaker: button.dataset.speaker }, button);
        break;
      case "split":
        this.audio.pause();
        this.edit({ op: "split", position, at: Math.round(this.audio.currentTime * 100) / 100 }, button);
        break;
      case "merge":
        this.edit({ op: "merge", position }, button);
        break;
      default:
    }
  }

  // ---------------------------------------------------------------- corrections

  async edit(operation, button) {
    if (this.busy) return;
    const focusKey = { position: operation.position, action: button.dataset.action };
    this.setBusy(true);
    this.showError("");
    try {
      const response = await fetch(this.editUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
          "X-CSRFToken": this.csrfToken },
        body: JSON.stringify({ base_version: this.data.version, operation }),
      });
      const body = await readJson(response);
      if (response.ok) {
        this.render(body);
        this.part("status").textContent = `${describe(operation)} Saved as version ${body.version}.`;
      } else if (response.status === 409) {
        await this.load();
        this.showError(`${body.message || "The transcript was changed elsewhere."} The latest ` +
          "version is shown now; please make your correction again.");
      } else {
        this.showError(body.message || `The correction was not saved (HTTP ${response.status}).`);
      }
    } catch {
      this.showError("The correction was not saved: the server could not be reached.");
    } finally {
      this.setBusy(false);
      this.restoreFocus(focusKey);
    }
  }

  setBusy(busy) {
    this.busy = busy;
    this.list.setAttribute("aria-busy", busy ? "true" : "false");
    this.list.querySelectorAll('[data-action="speaker"], [data-action="merge"]').forEach((b) => {
      b.disabled = busy;
    });
    this.swap.disabled = busy || !this.data?.segments.length;
    this.updateSplitButtons(this.audio.currentTime);
  }

  restoreFocus({ position, action }) {
    if (!action) return this.swap.focus();
    const item = this.list.children[Math.min(position, this.list.children.length - 1)];
    if (!item) return;
    const target = item.querySelector(`[data-action="${action}"]:not(:disabled)`) ||
      item.querySelector('[data-action="play"]');
    target.focus();
  }
}

function describe(operation) {
  const n = operation.position + 1;
  if (operation.op === "speaker") return `Segment ${n} is now ${SPEAKER_LABELS[operation.speaker]}.`;
  if (operation.op === "swap") return "Worker and Client were swapped throughout.";
  if (operation.op === "split") return `Segment ${n} was split at ${formatTime(operation.at, 1)}.`;
  return `Segments ${n} and ${n + 1} were merged.`;
}

/** Text nodes with each case-insensitive occurrence of `query` wrapped in <mark>. */
function highlight(text, query) {
  if (!query) return [text];
  const nodes = [];
  const lower = text.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(query); at !== -1; at = lower.indexOf(query, from)) {
    if (at > from) nodes.push(text.slice(from, at));
    nodes.push(el("mark", {}, text.slice(at, at + query.length)));
    from = at + query.length;
  }
  if (from < text.length) nodes.push(text.slice(from));
  return nodes;
}

document.querySelectorAll("[data-progress]").forEach((root) => watchProgress(root));
document.querySelectorAll("[data-transcript]").forEach((root) => new TranscriptViewer(root).init());
