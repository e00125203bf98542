// One person's connection to chatserver from a browser, resuming by itself.
//
// The widget and the listener console both talk through ChatConnection, so
// PROTOCOL.md's "Resume" is implemented once: when the socket drops (or a
// node asks everyone to `reconnect`) it reconnects with a growing, jittered
// delay, says hello with its resume token and last_seq, and resends every
// `send` that has no `sent` yet, with the same id. The page therefore sees
// each `message` once and in seq order, each `sent` once, `matched` once per
// session and `ended` once, however often the network went away.
//
// What is kept between page loads (SessionStore, in sessionStorage only):
// the resume token and last_seq per session. Never any text: a message that
// was not yet acknowledged when the page was closed is lost with the page.

import { decodeFrame, encodeFrame, GENEROUS_LIMITS, PROTOCOL_VERSION } from "./protocol.js";

const TYPING_EVERY_MS = 3000;
const OPEN_TIMEOUT_MS = 10000;
const REMEMBERED_ENDED = 8; // the server lets feedback/report refer to the last 8 ended

/** Close codes after which reconnecting would not help (PROTOCOL.md, "Close codes"). */
const FINAL_CLOSES = new Set([1008, 4001]);

/** A small JSON record in sessionStorage, or in memory where storage is refused. */
export class SessionStore {
  constructor(key) {
    this.key = key;
    this.memory = null;
  }

  load() {
    try {
      const text = window.sessionStorage.getItem(this.key);
      return text ? JSON.parse(text) : null;
    } catch {
      return this.memory;
    }
  }

  update(patch) {
    const next = { ...(this.load() || {}), ...patch };
    this.memory = next;
    try {
      window.sessionStorage.setItem(this.key, JSON.stringify(next));
    } catch {
      // storage is disabled (a sandboxed frame, a strict private mode): memory only
    }
    return next;
  }

  clear() {
    this.memory = null;
    try {
      window.sessionStorage.removeItem(this.key);
    } catch {
      // nothing stored
    }
  }
}

/** A random id for `send.id` (crypto.randomUUID needs a secure context; this does not). */
export function randomId(prefix = "m") {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return prefix + "-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A BCP 47 tag or region code that fits `hello.lang` / `hello.region`, else null. */
function shortLabel(value) {
  return typeof value === "string" && /^[A-Za-z0-9_-]{1,16}$/.test(value) ? value : null;
}

/**
 * Events: onframe(frame) for every server frame the page should act on, and
 * onstatus(status, detail) where status is one of "connecting" (the first
 * attempt), "open" (welcomed; detail.resumed), "reconnecting" (after a drop or
 * a failed attempt; detail.welcomed says whether we ever got in), "idle" (no
 * socket needed now), "closed" (by close()), "refused" (the server will not
 * take us: detail.code, detail.message).
 */
export class ChatConnection {
  constructor({
    url, role = "seeker", token = null, lang = null, region = null, store = null,
    minBackoffMs = 250, maxBackoffMs = 15000,
  }) {
    this.url = url;
    this.role = role;
    this.token = token;
    this.lang = shortLabel(lang);
    this.region = shortLabel(region);
    this.store = store || new SessionStore("chatserver:" + url + ":" + role);
    this.minBackoffMs = minBackoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.onframe = () => {};
    this.onstatus = () => {};
    this.status = "idle";
    this.welcome = null;

    const saved = this.store.load() || {};
    this.resume = typeof saved.resume === "string" ? saved.resume : null;
    this.lastSeq = saved.lastSeq && typeof saved.lastSeq === "object" ? { ...saved.lastSeq } : {};
    // id -> "held" (known from an earlier page, state not yet heard) | "waiting" | "active"
    // | "ended"
    this.sessions = new Map(Object.keys(this.lastSeq).map((s) => [s, "held"]));
    this.floor = { ...this.lastSeq }; // seqs an earlier page of this tab already received
    this.seen = new Map(); // session -> Set of seqs received by this page
    this.ended = []; // recently ended session ids, oldest first
    this.unacked = new Map(); // send.id -> send frame
    this.acked = new Map(); // session -> Set of send ids already delivered to the page
    this.untilAnswered = new Map(); // "request" | "end:<session>" -> frame
    this.readiness = null; // the last ready/away, said again after a resume
    this.onceOpen = []; // other frames written when the socket next opens
    this.typingAt = new Map();

    this.ws = null;
    this.stopped = false;
    this.welcomed = false;
    this.resuming = false;
    this.resumeRefused = false;
    this.finalError = null;
    this.backoffMs = minBackoffMs;
    this.nextDelayMs = null;
    this.timer = null;
    this.rateTimer = null;
    this.onOnline = () => {
      if (this.status === "reconnecting") this.connectSoon(0);
    };
    window.addEventListener("online", this.onOnline);
  }

  /** Connect now (resuming if a token is kept). */
  start() {
    this.stopped = false;
    if (!this.ws) this.open();
  }

  /** Send a frame now, or as soon as the connection is back (see the module comment). */
  send(frame) {
    if (frame.type === "send") this.unacked.set(frame.id, frame);
    else if (frame.type === "request") this.untilAnswered.set("request", frame);
    else if (frame.type === "end") this.untilAnswered.set("end:" + frame.session, frame);
    else if (frame.type === "ready" || frame.type === "away") this.readiness = frame;
    else if (frame.type === "typing") {
      if (!this.isOpen) return false;
    } else if (!this.isOpen) this.onceOpen.push(frame);
    if (this.isOpen) return this.write(frame);
    if (this.status !== "closed" && this.status !== "refused") this.start();
    return false;
  }

  /** Say `text` in `session` with a fresh id; returns the id (to match its `sent`). */
  say(session, text) {
    const id = randomId();
    this.send({ type: "send", session, text, id });
    return id;
  }

  /** Tell the other person we are typing, at most every few seconds. */
  typing(session) {
    const now = Date.now();
    if (now - (this.typingAt.get(session) || 0) < TYPING_EVERY_MS) return;
    if (this.send({ type: "typing", session }) !== false) this.typingAt.set(session, now);
  }

  /** Stop tracking an ended session (it leaves `last_seq`). */
  forget(session) {
    this.sessions.delete(session);
    this.acked.delete(session);
    this.seen.delete(session);
    this.ended = this.ended.filter((s) => s !== session);
    if (session in this.lastSeq) {
      delete this.lastSeq[session];
      this.persist();
    }
  }

  /** Close for good: no reconnecting; `forgetAll` also drops the stored token. */
  close({ forgetAll = false } = {}) {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.onOnline);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try {
        ws.close(1000);
      } catch {
        // already closed
      }
    }
    if (forgetAll) {
      this.resume = null;
      this.lastSeq = {};
      this.store.clear();
    }
    this.setStatus("closed");
  }

  get isOpen() {
    return this.ws !== null && this.welcomed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Drop the socket as a failing network would (tests and the debug hook use it). */
  drop() {
    if (this.ws) this.ws.close(3000, "dropped");
  }

  // --- sockets --------------------------------------------------------------

  setStatus(status, detail = {}) {
    if (this.status === status && status !== "refused") return;
    this.status = status;
    this.onstatus(status, detail);
  }

  persist() {
    this.store.update({ resume: this.resume, lastSeq: this.lastSeq });
  }

  hasWork() {
    const open = [...this.sessions.values()].some((s) => s !== "ended");
    return this.role !== "seeker" || open || this.unacked.size > 0 || this.untilAnswered.size > 0
      || this.onceOpen.length > 0 || (this.resume !== null && Object.keys(this.lastSeq).length > 0);
  }

  open() {
    clearTimeout(this.timer);
    if (this.status !== "reconnecting") this.setStatus(this.welcome ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.finalError = { code: "bad_url", message: String(err) };
      this.setStatus("refused", this.finalError);
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.welcomed = false;
    this.resumeRefused = false;
    this.finalError = null;
    const giveUp = setTimeout(() => ws.close(3000, "timeout"), OPEN_TIMEOUT_MS);
    ws.onopen = () => {
      if (ws === this.ws) this.hello(ws);
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      if (typeof event.data === "string") return; // the server never sends text
      let frame;
      try {
        frame = decodeFrame(new Uint8Array(event.data), "server", GENEROUS_LIMITS);
      } catch (err) {
        console.warn("chatserver: dropped a frame the client could not read:", err.message);
        return;
      }
      if (frame.type === "welcome") clearTimeout(giveUp);
      this.receive(frame);
    };
    ws.onclose = (event) => {
      clearTimeout(giveUp);
      if (ws === this.ws) this.closed(event.code);
    };
  }

  hello(ws) {
    const role = this.role === "seeker" ? "seeker" : "listener";
    const frame = { type: "hello", v: PROTOCOL_VERSION, role };
    if (this.token) frame.token = this.token;
    this.resuming = this.resume !== null;
    if (this.resuming) frame.resume = this.resume;
    const sessions = Object.keys(this.lastSeq).slice(-64);
    if (sessions.length) {
      frame.last_seq = Object.fromEntries(sessions.map((s) => [s, this.lastSeq[s]]));
    }
    if (this.lang) frame.lang = this.lang;
    if (this.region) frame.region = this.region;
    ws.send(encodeFrame(frame));
  }

  write(frame) {
    try {
      this.ws.send(encodeFrame(frame));
      return true;
    } catch (err) {
      console.warn("chatserver: could not send", frame.type, err.message);
      return false;
    }
  }

  closed(code) {
    this.ws = null;
    this.welcomed = false;
    if (this.stopped) return;
    if (this.resumeRefused) {
      // The token was used or unknown: start afresh (a seeker's sessions are gone).
      this.resume = null;
      if (this.role === "seeker") this.loseSessions();
      this.persist();
      this.connectSoon(0);
      return;
    }
    if (this.finalError || FINAL_CLOSES.has(code)) {
      this.stopped = true;
      const detail = this.finalError || { code: code === 4001 ? "replaced" : "closed", close: code };
      if (detail.code === "blocked" || detail.code === "unauthorized") {
        this.resume = null;
        this.store.clear();
      }
      this.setStatus("refused", { ...detail, close: code });
      return;
    }
    if (!this.hasWork()) {
      this.setStatus("idle");
      return;
    }
    if (this.nextDelayMs !== null) {
      // a draining node said when (PROTOCOL.md, "reconnect"); it already spread people out
      this.connectSoon(this.nextDelayMs);
      this.nextDelayMs = null;
      return;
    }
    const delay = this.backoffMs * (0.5 + Math.random());
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    this.connectSoon(delay);
  }

  connectSoon(delayMs) {
    clearTimeout(this.timer);
    this.setStatus("reconnecting", { welcomed: this.welcome !== null });
    this.timer = setTimeout(() => {
      if (!this.stopped && !this.ws) this.open();
    }, delayMs);
  }

  /** After a welcome: say again what may not have reached the server, same ids. */
  flush() {
    const frames = [];
    if (this.readiness) frames.push(this.readiness);
    frames.push(...this.untilAnswered.values(), ...this.unacked.values(), ...this.onceOpen);
    this.onceOpen = [];
    for (const frame of frames) this.write(frame);
  }

  loseSessions() {
    for (const [session, state] of this.sessions) {
      if (state !== "ended") this.deliverEnded({ type: "ended", session, reason: "disconnected" });
    }
    this.unacked.clear();
    this.untilAnswered.clear();
  }

  // --- the stream -----------------------------------------------------------

  receive(frame) {
    switch (frame.type) {
      case "welcome":
        this.welcome = frame;
        this.welcomed = true;
        this.resume = frame.resume;
        this.backoffMs = this.minBackoffMs;
        this.persist();
        this.setStatus("open", { resumed: frame.resumed === true });
        this.onframe(frame);
        this.flush();
        return;
      case "message": {
        // Each seq once. The server sends them in order; a set (above the floor kept
        // from an earlier page) also copes with one arriving late, and the page sorts.
        const seen = this.seen.get(frame.session) || new Set();
        if (frame.seq <= (this.floor[frame.session] || 0) || seen.has(frame.seq)) return;
        seen.add(frame.seq);
        this.seen.set(frame.session, seen);
        this.lastSeq[frame.session] = Math.max(this.lastSeq[frame.session] || 0, frame.seq);
        this.persist();
        break;
      }
      case "sent": {
        this.unacked.delete(frame.id);
        const acked = this.acked.get(frame.session) || new Set();
        if (acked.has(frame.id)) return;
        acked.add(frame.id);
        this.acked.set(frame.session, acked);
        break;
      }
      case "queued":
      case "matched": {
        this.untilAnswered.delete("request");
        const known = this.sessions.get(frame.session);
        if (known === "ended") return;
        if (frame.type === "matched" && known === "active") return; // replayed by a resume
        this.sessions.set(frame.session, frame.type === "matched" ? "active" : "waiting");
        if (!(frame.session in this.lastSeq)) {
          this.lastSeq[frame.session] = 0;
          this.persist();
        }
        break;
      }
      case "ended":
        this.deliverEnded(frame);
        return;
      case "reconnect":
        this.nextDelayMs = frame.after_ms;
        return;
      case "service":
        if (frame.available && this.isOpen) this.flush();
        break;
      case "error":
        if (!this.error(frame)) return;
        break;
      default:
        break;
    }
    this.onframe(frame);
  }

  /** Act on an error; returns whether the page should see it too. */
  error(frame) {
    if (frame.ref === "hello") {
      if (frame.code === "resume_expired") {
        this.loseSessions(); // a fresh welcome follows on this connection
        this.lastSeq = {};
        this.persist();
      } else if (frame.code === "unauthorized" && this.resuming) {
        // The resume token was used or unknown (close 1008 follows): start afresh. A
        // listener signing in again gets their open conversations back anyway.
        this.resumeRefused = true;
        return false;
      } else if (frame.code !== "unavailable" && frame.code !== "rate_limited") {
        this.finalError = { code: frame.code, message: frame.message };
      }
    }
    if (frame.code === "unavailable") return false; // kept frames go again on service
    if (frame.code === "rate_limited" && (frame.ref === "send" || !frame.ref)) {
      // A dropped `send` (or a frame the server could not even read for the rate: no
      // ref) goes again a moment later; the same id means it is delivered once.
      clearTimeout(this.rateTimer);
      this.rateTimer = setTimeout(() => {
        if (this.isOpen) for (const f of this.unacked.values()) this.write(f);
      }, 1200);
      return false;
    }
    if (frame.ref === "request") this.untilAnswered.delete("request");
    if (frame.ref === "end" && frame.code === "not_in_session") {
      for (const key of [...this.untilAnswered.keys()]) {
        if (key.startsWith("end:")) this.untilAnswered.delete(key);
      }
    }
    return true;
  }

  deliverEnded(frame) {
    const known = this.sessions.get(frame.session);
    if (known === "ended") return;
    if (known === undefined && !this.untilAnswered.has("end:" + frame.session)
      && !(frame.session in this.lastSeq)) return;
    this.sessions.set(frame.session, "ended");
    this.untilAnswered.delete("end:" + frame.session);
    for (const [id, send] of this.unacked) {
      if (send.session === frame.session) this.unacked.delete(id);
    }
    this.ended.push(frame.session);
    while (this.ended.length > REMEMBERED_ENDED) this.forget(this.ended[0]);
    if (!(frame.session in this.lastSeq)) this.lastSeq[frame.session] = 0;
    this.persist();
    this.onframe(frame);
  }
}
