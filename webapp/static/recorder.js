// Browser recording of a practice interview.
//
// Every piece MediaRecorder hands us is numbered and written to IndexedDB *before* it is
// uploaded, so closing the tab or losing the network costs at most the piece being recorded.
// A sender loop uploads pieces in order, retries with backoff, and deletes each piece from
// IndexedDB once the server acknowledges it.  Configuration comes from data-* attributes
// (the CSP forbids inline scripts).

import { ChunkStore } from "./chunkstore.js";

const MIME_TYPE = "audio/webm;codecs=opus";
const BITS_PER_SECOND = 48000; // plenty for speech; about 11 MB for 30 minutes
const MIC_KEY = "simclient.microphone";
const MAX_BACKOFF_MS = 15000;
const FATAL_STATUSES = new Set([404, 409, 413]);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function formatClock(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

function minutesText(seconds) {
  const minutes = Math.round(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

// ------------------------------------------------------------------ the recorder view

class Recorder {
  constructor(root) {
    this.root = root;
    const data = root.dataset;
    this.recordingId = data.recordingId;
    this.chunkUrl = data.chunkUrl;
    this.finishUrl = data.finishUrl;
    this.pageUrl = data.pageUrl || window.location.href;
    this.csrfToken = data.csrfToken;
    this.targetSeconds = Number(data.targetSeconds) || 1800;
    this.capSeconds = Number(data.capSeconds) || 3600;
    this.chunkSeconds = Number(data.chunkSeconds) || 5;
    this.chunksReceived = Number(data.chunksReceived) || 0;

    this.part = (name) => root.querySelector(`[data-part="${name}"]`);
    this.button = (name) => root.querySelector(`[data-action="${name}"]`);

    this.store = new ChunkStore(this.recordingId);
    this.state = "idle";
    this.nextSeq = 0;
    this.pending = []; // sequence numbers stored locally but not yet acknowledged
    this.storing = Promise.resolve();
    this.sending = false;
    this.failures = 0;
    this.fatal = null;
    this.waiters = [];
    this.wake = null;
    this.elapsedBefore = 0; // ms recorded before the current run (pauses split runs)
    this.runStartedAt = null;
    this.passedTarget = false;
    this.stream = null;
    this.audioContext = null;
    this.analyser = null;
  }

  async init() {
    this.bind();
    this.setState("idle");
    this.showTarget();
    const hasStore = await this.store.open();
    if (!hasStore) {
      this.say("This browser cannot keep audio safely on disk, so closing the tab while " +
        "recording may lose more than a few seconds.");
    }
    const keys = await this.store.keys();
    const produced = Number(await this.store.getMeta("produced")) || 0;
    const started = await this.store.getMeta("started");
    const total = Math.max(produced, this.chunksReceived, keys.length ? keys[keys.length - 1] + 1 : 0);
    if ((total || started) && (await this.isRecordingElsewhere())) {
      this.part("main").hidden = true;
      this.part("elsewhere").hidden = false;
      this.setState("elsewhere");
      return;
    }
    if (total) this.offerFinish(keys, total);
    else if (started) await this.store.setMeta("started", null); // closed before any audio was kept
    if (!("MediaRecorder" in window) || !navigator.mediaDevices?.getUserMedia) {
      this.showError("This browser cannot record audio. Please use a recent Chrome, Edge or " +
        "Firefox, or record on another device and upload the file.");
      this.button("start").disabled = true;
      this.button("check").disabled = true;
    }
  }

  bind() {
    this.button("check").addEventListener("click", () => this.checkMicrophone());
    this.button("start").addEventListener("click", () => this.start());
    this.button("pause").addEventListener("click", () => this.pause());
    this.button("resume").addEventListener("click", () => this.resume());
    this.button("stop").addEventListener("click", () => this.stop("You stopped the recording."));
    this.button("finish-interrupted").addEventListener("click", () => this.finishInterrupted());
    this.button("finish-partial").addEventListener("click", () => this.finishPartial());
    this.part("mic").addEventListener("change", () => this.chooseMicrophone());
    window.addEventListener("online", () => this.onOnline());
    window.addEventListener("offline", () => this.onOffline());
    window.addEventListener("beforeunload", (event) => {
      if (this.isBusy()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    navigator.mediaDevices?.addEventListener?.("devicechange", () => this.listMicrophones());
  }

  get lockName() {
    return `simclient-recording-${this.recordingId}`;
  }

  /** Another tab of this browser holds the recording's lock while it records. */
  async isRecordingElsewhere() {
    if (!navigator.locks) return false;
    return navigator.locks.request(this.lockName, { ifAvailable: true }, (lock) => lock === null);
  }

  /** Hold the lock until the recording is finished; closing the tab releases it. */
  holdLock() {
    if (!navigator.locks || this.releaseLock) return;
    navigator.locks.request(this.lockName, () => new Promise((resolve) => {
      this.releaseLock = resolve;
    }));
  }

  /** Leaving now would lose audio (the piece being recorded) or strand the recording. */
  isBusy() {
    return ["recording", "paused", "stopping", "finishing"].includes(this.state);
  }

  // ---------------------------------------------------------------- UI helpers

  setState(state) {
    this.state = state;
    this.root.dataset.state = state;
    const show = {
      idle: ["check", "start"],
      ready: ["check", "start"],
      recording: ["pause", "stop"],
      paused: ["resume", "stop"],
    }[state] || [];
    for (const name of ["check", "start", "pause", "resume", "stop"]) {
      this.button(name).hidden = !show.includes(name);
    }
    this.part("mic").disabled = !["idle", "ready"].includes(state) || !this.stream;
    this.root.classList.toggle("is-recording", state === "recording");
    this.root.classList.toggle("is-paused", state === "paused");
  }

  /** Announce a message; `polite` live region (role=status) carries it to screen readers. */
  say(text) {
    this.part("message").textContent = text;
  }

  showError(text) {
    const box = this.part("error");
    box.textContent = text;
    box.hidden = !text;
  }

  showTarget() {
    const meter = this.part("time-meter");
    meter.max = this.targetSeconds;
    meter.high = this.targetSeconds * 0.9;
    meter.optimum = this.targetSeconds * 0.5;
    this.part("target").textContent = minutesText(this.targetSeconds);
  }

  updateQueue() {
    const waiting = this.pending.length;
    let text = "";
    if (!navigator.onLine && waiting) {
      text = `Offline: ${waiting} chunk${waiting === 1 ? "" : "s"} waiting. They are kept in ` +
        "this browser and will be sent when the connection returns.";
    } else if (waiting > 1 || (waiting && this.failures)) {
      text = `${waiting} chunk${waiting === 1 ? "" : "s"} waiting to be sent…`;
    } else if (this.nextSeq > 0 && !this.fatal) {
      text = "All audio so far is safely on the server.";
    }
    this.part("queue").textContent = text;
    this.root.dataset.pending = String(waiting);
    this.root.dataset.sent = String(this.nextSeq - waiting);
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  // ---------------------------------------------------------------- microphone

  async checkMicrophone() {
    if (await this.openMicrophone(localStorage.getItem(MIC_KEY))) {
      this.setState("ready");
      this.say("Microphone on. Speak normally and watch the level bar move.");
    }
  }

  async chooseMicrophone() {
    const deviceId = this.part("mic").value;
    localStorage.setItem(MIC_KEY, deviceId);
    await this.openMicrophone(deviceId);
  }

  async openMicrophone(deviceId) {
    this.closeMicrophone();
    this.showError("");
    const audio = { echoCancellation: false };
    try {
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({
          audio: deviceId ? { ...audio, deviceId: { exact: deviceId } } : audio,
        });
      } catch (error) {
        if (!deviceId || !["OverconstrainedError", "NotFoundError"].includes(error.name)) throw error;
        localStorage.removeItem(MIC_KEY); // the remembered microphone has gone
        this.stream = await navigator.mediaDevices.getUserMedia({ audio });
      }
    } catch (error) {
      this.showError(microphoneErrorText(error));
      return false;
    }
    this.stream.getAudioTracks()[0].addEventListener("ended", () => this.onTrackEnded());
    await this.listMicrophones();
    this.startLevelMeter();
    this.part("mic").disabled = !["idle", "ready"].includes(this.state);
    return true;
  }

  closeMicrophone() {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.source?.disconnect();
    this.source = null;
  }

  async listMicrophones() {
    if (!this.stream) return;
    const select = this.part("mic");
    const current = this.stream.getAudioTracks()[0]?.getSettings().deviceId || "";
    const devices = (await navigator.mediaDevices.enumerateDevices())
      .filter((device) => device.kind === "audioinput");
    select.replaceChildren(...devices.map((device, index) => {
      const option = new Option(device.label || `Microphone ${index + 1}`, device.deviceId);
      option.selected = device.deviceId === current;
      return option;
    }));
    if (!devices.length) select.append(new Option("Default microphone", ""));
  }

  startLevelMeter() {
    if (!this.audioContext) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      this.audioContext = new Context();
      this.analyser = this.audioContext.createAnalyser();
      this.analyser.fftSize = 1024;
      this.samples = new Float32Array(this.analyser.fftSize);
      this.drawLevel();
    }
    this.audioContext.resume();
    this.source = this.audioContext.createMediaStreamSource(this.stream);
    this.source.connect(this.analyser);
  }

  drawLevel() {
    const meter = this.part("level");
    let last = 0;
    const frame = (now) => {
      if (now - last > 66 && this.analyser) { // ~15 updates a second is enough for the eye
        last = now;
        this.analyser.getFloatTimeDomainData(this.samples);
        let sum = 0;
        for (const value of this.samples) sum += value * value;
        const rms = this.source ? Math.sqrt(sum / this.samples.length) : 0;
        // speech RMS is roughly 0.01..0.3; a square root spreads it over the bar
        meter.value = Math.min(1, Math.sqrt(rms) * 1.4);
        meter.textContent = `${Math.round(meter.value * 100)} %`;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  // ---------------------------------------------------------------- recording

  async start() {
    if (this.starting || (this.state !== "idle" && this.state !== "ready")) return;
    this.starting = true; // a double click must not start two recorders
    this.button("start").disabled = true;
    try {
      await this.initialised; // the store must be open before the first piece arrives
      await this.startRecorder();
    } finally {
      this.starting = false;
      this.button("start").disabled = false;
    }
  }

  async startRecorder() {
    if (!this.stream && !(await this.openMicrophone(localStorage.getItem(MIC_KEY)))) return;
    const options = { audioBitsPerSecond: BITS_PER_SECOND };
    if (MediaRecorder.isTypeSupported(MIME_TYPE)) options.mimeType = MIME_TYPE;
    else if (MediaRecorder.isTypeSupported("audio/webm")) options.mimeType = "audio/webm";
    else {
      this.showError("This browser cannot record in the WebM format the server needs. Please " +
        "use a recent Chrome, Edge or Firefox, or record on another device and upload the file.");
      return;
    }
    this.recorder = new MediaRecorder(this.stream, options);
    this.recorder.addEventListener("dataavailable", (event) => this.keep(event.data));
    this.recorder.addEventListener("error", (event) => this.onRecorderError(event));
    this.stopped = new Promise((resolve) => this.recorder.addEventListener("stop", resolve));
    this.stopped.then(() => this.onRecorderStopped());
    this.holdLock();
    await this.store.setMeta("started", new Date().toISOString());
    this.recorder.start(this.chunkSeconds * 1000);
    this.runStartedAt = performance.now();
    this.timer = setInterval(() => this.tick(), 250);
    this.requestWakeLock();
    this.setState("recording");
    this.say("Recording. The audio is saved every few seconds.");
    this.button("pause").focus(); // Start is hidden now; keep keyboard users in the controls
  }

  pause() {
    if (this.state !== "recording") return;
    this.recorder.pause();
    this.elapsedBefore = this.elapsedMs();
    this.runStartedAt = null;
    this.setState("paused");
    this.say("Paused. Press Resume to carry on recording.");
    this.button("resume").focus();
  }

  resume() {
    if (this.state !== "paused") return;
    this.recorder.resume();
    this.runStartedAt = performance.now();
    this.setState("recording");
    this.say("Recording again.");
    this.button("pause").focus();
  }

  elapsedMs() {
    return this.elapsedBefore + (this.runStartedAt === null ? 0 : performance.now() - this.runStartedAt);
  }

  tick() {
    const seconds = this.elapsedMs() / 1000;
    this.part("timer").textContent = formatClock(seconds);
    this.part("time-meter").value = Math.min(seconds, this.targetSeconds);
    this.root.dataset.elapsed = seconds.toFixed(1);
    if (!this.passedTarget && seconds >= this.targetSeconds) {
      this.passedTarget = true;
      this.root.classList.add("over-target");
      this.say(`You have passed the target of ${minutesText(this.targetSeconds)}. You can ` +
        `carry on; the recording stops by itself at ${minutesText(this.capSeconds)}.`);
    }
    if (seconds >= this.capSeconds && this.state === "recording") {
      this.stop(`The recording stopped by itself at the ${minutesText(this.capSeconds)} limit.`);
    }
  }

  /** Number a piece, write it to IndexedDB, then queue it for upload. */
  keep(blob) {
    if (!blob || !blob.size) return;
    const seq = this.nextSeq++;
    this.storing = this.storing.then(async () => {
      const buffer = await blob.arrayBuffer();
      try {
        await this.store.put(seq, buffer, seq + 1);
      } catch (error) {
        // a full disk must not lose the audio: keep it in memory and carry on
        console.warn("could not store chunk", seq, error);
        this.store.memory.set(seq, buffer);
      }
      this.pending.push(seq);
      this.updateQueue();
      this.kick();
    });
  }

  async stop(message) {
    if (this.state !== "recording" && this.state !== "paused") return;
    this.setState("stopping");
    this.say(`${message} Sending the last pieces of audio…`);
    this.part("message").focus();
    this.recorder.stop(); // flushes a final dataavailable, then "stop"
    await this.stopped;
  }

  async onRecorderStopped() {
    // Also reached when the microphone disappears mid-recording.
    if (this.state === "recording" || this.state === "paused") {
      this.setState("stopping");
      this.say("The microphone stopped (was it unplugged?). What was recorded is kept and " +
        "is being sent.");
    }
    this.elapsedBefore = this.elapsedMs();
    this.runStartedAt = null;
    clearInterval(this.timer);
    this.tick();
    this.closeMicrophone();
    this.releaseWakeLock();
    await this.storing;
    await this.finish(this.nextSeq);
  }

  onRecorderError(event) {
    this.showError(`Recording failed: ${event.error?.message || "unknown error"}. What was ` +
      "recorded so far is kept.");
  }

  onTrackEnded() {
    if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
  }

  async requestWakeLock() {
    try {
      this.wakeLock = await navigator.wakeLock?.request("screen");
    } catch {
      // not important: only keeps the screen from sleeping during a long interview
    }
  }

  releaseWakeLock() {
    this.wakeLock?.release().catch(() => {});
    this.wakeLock = null;
  }

  // ---------------------------------------------------------------- sending

  onOnline() {
    this.failures = 0;
    this.updateQueue();
    this.wake?.();
    this.kick();
  }

  onOffline() {
    this.updateQueue();
    if (this.isBusy()) this.say("The connection dropped. Keep going: the audio is kept in " +
      "this browser and sent when the connection returns.");
  }

  kick() {
    if (!this.sending) this.sendLoop();
  }

  async sendLoop() {
    this.sending = true;
    try {
      while (this.pending.length && !this.fatal) {
        if (!navigator.onLine) {
          await this.pauseSending(MAX_BACKOFF_MS);
          continue;
        }
        const seq = this.pending[0];
        const outcome = await this.sendChunk(seq);
        if (outcome === "ok") {
          this.pending.shift();
          this.failures = 0;
          await this.store.remove(seq).catch(() => {});
          this.store.memory.delete(seq);
          this.updateQueue();
        } else if (outcome === "retry") {
          this.failures += 1;
          this.updateQueue();
          await this.pauseSending(Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.failures));
        }
      }
    } finally {
      this.sending = false;
      this.updateQueue();
    }
  }

  /** Wait, but wake early when the connection comes back. */
  pauseSending(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  async sendChunk(seq) {
    const buffer = (await this.store.get(seq).catch(() => undefined)) ?? this.store.memory.get(seq);
    if (!buffer) return "ok"; // already gone: nothing more this browser can do for it
    let response;
    try {
      response = await fetch(this.chunkUrl + seq, {
        method: "POST",
        credentials: "same-origin",
        redirect: "error", // an expired login redirects to a page that would look like success
        headers: { "Content-Type": "application/octet-stream", "X-CSRFToken": this.csrfToken },
        body: buffer,
      });
    } catch {
      return "retry"; // network error: offline, server restarting…
    }
    const body = await readJson(response);
    if (response.ok && body.seq === seq) {
      if (this.transientError) this.showError("");
      this.transientError = false;
      return "ok";
    }
    if (FATAL_STATUSES.has(response.status)) {
      this.fatal = body.message || `The server refused part ${seq} (HTTP ${response.status}).`;
      this.showError(`${this.fatal} The audio not yet sent is still kept in this browser.`);
      for (const resolve of this.waiters.splice(0)) resolve();
      return "fatal";
    }
    // Anything else may pass (a server restart, an expired login): keep trying, say why.
    this.transientError = true;
    const reason = response.status >= 500 ? "The server had a problem storing the audio."
      : body.message || "The server did not accept the audio; your login may have expired " +
        "(log in again in another tab).";
    this.showError(`${reason} This page keeps trying; the audio is kept in this browser meanwhile.`);
    return "retry";
  }

  /** Resolves when every stored piece has been acknowledged; throws on a fatal refusal. */
  async waitUntilSent() {
    await this.storing;
    while (this.pending.length && !this.fatal) {
      await new Promise((resolve) => this.waiters.push(resolve));
    }
    if (this.fatal) throw new Error(this.fatal);
  }

  // ---------------------------------------------------------------- finishing

  async finish(total) {
    this.setState("finishing");
    try {
      await this.waitUntilSent();
    } catch {
      return; // the error is already shown
    }
    this.say("All audio sent. Putting the recording together…");
    for (let attempt = 0; ; attempt += 1) {
      let response;
      try {
        response = await fetch(this.finishUrl, {
          method: "POST",
          credentials: "same-origin",
          redirect: "error",
          headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrfToken,
            Accept: "application/json" },
          body: JSON.stringify({ chunks: total }),
        });
      } catch {
        await (navigator.onLine ? sleep(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt))
          : this.pauseSending(MAX_BACKOFF_MS));
        continue;
      }
      const body = await readJson(response);
      if (response.status === 202 || response.status === 200) return this.finished();
      if (response.status === 409 && body.error === "missing-chunks" && attempt < 5) {
        if (await this.resend(body.missing || [], total)) continue;
        return;
      }
      if ([404, 409, 413, 415, 422].includes(response.status)) {
        this.setState("failed");
        this.showError(body.message || `The server could not finish the recording (HTTP ${response.status}).`);
        return;
      }
      this.showError(`${body.message || "The server could not finish the recording yet."} ` +
        "Trying again; the audio is safe on the server.");
      await sleep(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt));
    }
  }

  /** Queue the pieces the server says it lacks; false when this browser no longer has them. */
  async resend(missing, total) {
    const local = new Set(await this.store.keys().catch(() => []));
    for (const seq of this.store.memory.keys()) local.add(seq);
    const lost = missing.filter((seq) => !local.has(seq));
    if (lost.length) {
      this.lostFrom = Math.min(...lost);
      this.setState("failed");
      this.showError(`The server is missing part${lost.length === 1 ? "" : "s"} ` +
        `${lost.map((seq) => seq + 1).join(", ")} of ${total}, and this browser no longer has ` +
        "them. You can finish with the audio before the gap.");
      this.part("partial").hidden = false;
      return false;
    }
    this.say(`Re-sending ${missing.length} missing part${missing.length === 1 ? "" : "s"}…`);
    this.pending = [...new Set([...this.pending, ...missing])].sort((a, b) => a - b);
    this.updateQueue();
    this.kick();
    try {
      await this.waitUntilSent();
      return true;
    } catch {
      return false;
    }
  }

  async finishPartial() {
    this.part("partial").hidden = true;
    this.showError("");
    await this.finish(this.lostFrom);
  }

  async finished() {
    this.showError("");
    this.setState("done");
    this.pending = [];
    await this.store.destroy();
    this.say("Recording received. Opening the transcription progress…");
    window.location.assign(this.pageUrl);
  }

  // ---------------------------------------------------------------- interrupted recordings

  offerFinish(keys, total) {
    this.interruptedTotal = total;
    this.pending = keys;
    this.nextSeq = total;
    this.part("main").hidden = true;
    this.part("resume").hidden = false;
    const waiting = keys.length;
    this.part("resume-detail").textContent = waiting
      ? `${waiting} piece${waiting === 1 ? " is" : "s are"} still in this browser and will be sent first.`
      : "The server already has all the audio this browser recorded.";
    this.setState("interrupted");
    this.updateQueue();
  }

  async finishInterrupted() {
    this.button("finish-interrupted").disabled = true;
    this.holdLock();
    this.say("Sending what is left and finishing the recording…");
    this.kick();
    await this.finish(this.interruptedTotal);
  }
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

function microphoneErrorText(error) {
  switch (error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The browser was not allowed to use the microphone. Allow the microphone for " +
        "this site (the icon in the address bar), then press Check microphone again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No microphone was found. Plug one in, then press Check microphone again.";
    case "NotReadableError":
      return "The microphone is in use by another program or could not be started. Close " +
        "other programs that use it, then try again.";
    default:
      return `The microphone could not be started (${error.name || error}).`;
  }
}

for (const root of document.querySelectorAll("[data-recorder]")) {
  const recorder = new Recorder(root);
  recorder.initialised = recorder.init();
}
