// The listener console (/listener): sign in, ready/away, the queue, conversations in tabs.
//
// A listener pastes their token (kept in this tab's sessionStorage only),
// the console says hello as a listener and keeps the connection alive with
// ChatConnection (resume, resend, no duplicates). Frames are dispatched to the
// queue list, to one SessionView per conversation (listener-session.js), and
// for supervisors (welcome.role == "supervisor") to the live-chat overview
// and the notices (escalation, reported, debrief, risk flags) with Join.
// A new message while the tab is hidden beeps (WebAudio, no file) and puts
// a count in the title.

import { ChatConnection, SessionStore } from "./connection.js";
import { duration, h, sameOriginSocket } from "./dom.js";
import { SessionView } from "./listener-session.js";

const TITLE = document.title;
const $ = (id) => document.getElementById(id);

class Beeper {
  constructor() {
    this.context = null;
  }

  /** Call from a user gesture: browsers only let audio start after one. */
  unlock() {
    try {
      this.context = this.context || new AudioContext();
      if (this.context.state === "suspended") this.context.resume();
    } catch {
      this.context = null;
    }
  }

  beep() {
    if (!this.context) return;
    try {
      const ctx = this.context;
      const t = ctx.currentTime;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.setValueAtTime(880, t);
      osc.frequency.setValueAtTime(660, t + 0.12);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.32);
      document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
    } catch {
      // no audio on this device: the title badge still shows
    }
  }
}

class Console {
  constructor() {
    this.store = new SessionStore("chatserver:listener");
    this.conn = null;
    this.handle = null;
    this.role = null;
    this.sessions = new Map(); // session id -> SessionView
    this.current = null;
    this.joining = new Set();
    this.queue = { entries: [], at: 0 };
    this.missed = 0;
    this.beeper = new Beeper();

    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.beeper.unlock();
      this.signIn($("token").value.trim());
    });
    $("readiness").addEventListener("click", () => this.setReady(!this.ready));
    $("sign-out").addEventListener("click", () => this.signOut());
    $("debrief").addEventListener("click", () => this.debrief(null));
    $("take-next").addEventListener("click", () => this.take(null));
    $("sound").addEventListener("change", () => this.store.update({ sound: $("sound").checked }));
    $("break-away").addEventListener("click", () => {
      this.setReady(false);
      $("break-nudge").hidden = true;
    });
    $("break-dismiss").addEventListener("click", () => { $("break-nudge").hidden = true; });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.clearMissed();
    });
    document.addEventListener("pointerdown", () => this.beeper.unlock(), { once: true });
    document.addEventListener("keydown", () => this.beeper.unlock(), { once: true });
    setInterval(() => this.renderQueue(), 1000);

    const saved = this.store.load();
    if (saved && saved.token) {
      $("sound").checked = saved.sound !== false;
      this.signIn(saved.token);
    }
  }

  // --- signing in and out -------------------------------------------------------

  signIn(token) {
    if (!token) return;
    $("sign-in-error").textContent = "";
    this.store.update({ token });
    this.status("Connecting…");
    if (this.conn) this.conn.close();
    this.conn = new ChatConnection({
      url: sameOriginSocket(), role: "listener", token, lang: navigator.language, store: this.store,
    });
    const saved = this.store.load() || {};
    if (saved.ready) this.conn.readiness = { type: "ready" };
    this.ready = saved.ready === true;
    this.conn.onframe = (frame) => this.onFrame(frame);
    this.conn.onstatus = (status, detail) => this.onStatus(status, detail);
    this.conn.start();
  }

  signOut() {
    const open = [...this.sessions.values()].filter((s) => s.open).length;
    if (open && !window.confirm(`You have ${open} open chat(s). Sign out anyway? They are held `
      + "for a minute in case you come back, then they end.")) return;
    if (this.conn) this.conn.close({ forgetAll: true });
    this.conn = null;
    this.store.clear();
    for (const view of this.sessions.values()) {
      view.tab.remove();
      view.panel.remove();
    }
    this.sessions.clear();
    this.current = null;
    $("token").value = "";
    this.showSignedIn(false);
    this.status("Signed out.");
    $("token").focus();
  }

  showSignedIn(yes) {
    $("sign-in").hidden = yes;
    $("console").hidden = !yes;
    $("top-actions").hidden = !yes;
    $("who").hidden = !yes;
    this.updateEmpty();
  }

  status(text) {
    $("status").textContent = text;
  }

  announce(text) {
    const el = $("announcer");
    el.textContent = "";
    setTimeout(() => { el.textContent = text; }, 50);
  }

  onStatus(status, detail) {
    if (status === "open") this.status(detail.resumed ? "Connected again." : "Connected.");
    else if (status === "reconnecting") {
      this.status(detail.welcomed === false ? "Can't reach the server. Trying again…"
        : "Connection lost. Reconnecting… Your chats are held.");
    }
    else if (status === "connecting") this.status("Connecting…");
    else if (status === "refused") {
      if (detail.code === "replaced") {
        this.status("You signed in somewhere else, so this tab stopped. Reload to use this tab.");
        return;
      }
      this.store.update({ token: null });
      this.showSignedIn(false);
      $("sign-in-error").textContent = detail.message
        ? `The server did not accept the token: ${detail.message}`
        : "The server closed the connection.";
      this.status("Signed out.");
    }
  }

  setReady(ready) {
    this.ready = ready;
    this.store.update({ ready });
    if (this.conn) this.conn.send({ type: ready ? "ready" : "away" });
    this.renderReadiness();
  }

  renderReadiness() {
    const button = $("readiness");
    button.setAttribute("aria-pressed", String(this.ready));
    button.textContent = this.ready ? "Ready for new chats" : "Away (no new chats)";
  }

  // --- frames ---------------------------------------------------------------------

  onFrame(frame) {
    const view = frame.session ? this.sessions.get(frame.session) : null;
    switch (frame.type) {
      case "welcome":
        this.handle = frame.handle;
        this.role = frame.role;
        $("who").textContent = `${frame.handle} · ${frame.role}`;
        $("supervision").hidden = frame.role !== "supervisor";
        this.showSignedIn(true);
        this.renderReadiness();
        break;
      case "queue":
        this.queue = { entries: frame.entries, waiting: frame.waiting, at: Date.now() };
        this.renderQueue();
        break;
      case "matched":
        this.onMatched(frame);
        break;
      case "message":
        if (view) {
          view.onMessage(frame);
          this.notify(`New message from ${view.peer}`);
        }
        break;
      case "sent":
        if (view) view.onSent(frame);
        break;
      case "typing":
        if (view) view.showTyping();
        break;
      case "peer_away":
        if (view) view.peerAway();
        break;
      case "peer_back":
        if (view) view.peerBack();
        break;
      case "risk_flag":
        if (view) {
          view.flagRisk();
          this.announce(`Risk flagged in the chat with ${view.peer}`);
          this.notify(`Risk flagged: ${view.peer}`);
        } else {
          this.notice("risk", "A risk flag was raised in a chat.", frame.session);
        }
        break;
      case "member_joined":
        if (view) view.memberJoined(frame);
        break;
      case "member_left":
        if (view) view.memberLeft(frame);
        break;
      case "ended":
        if (view) {
          view.ended(frame);
          this.announce(`The chat with ${view.peer} has ended.`);
        }
        break;
      case "break_suggested":
        $("break-text").textContent = `You've been listening for ${duration(frame.worked_s)} `
          + "without a real break. Consider taking one: step away, have a drink, talk to someone.";
        $("break-nudge").hidden = false;
        break;
      case "overview":
        this.renderOverview(frame);
        break;
      case "escalation":
        this.notice("escalation",
          `${frame.listener} asked for help${frame.topics.length ? ` (${frame.topics.join(", ")})` : ""}`
          + `${frame.risk ? ", risk flagged" : ""}${frame.note ? `: “${frame.note}”` : "."}`,
          frame.session, true);
        this.notify(`${frame.listener} asked for help`);
        break;
      case "reported":
        this.notice("reported", `A ${frame.by} reported a chat (${frame.reason}).`, frame.session);
        break;
      case "debrief":
        this.notice("debrief", `${frame.listener} asked for a debrief.`, frame.session);
        this.notify(`${frame.listener} asked for a debrief`);
        break;
      case "resources":
        this.notice("resources", `Helplines: ${frame.items.map((i) => i.name).join("; ")}`);
        break;
      case "service":
        this.status(frame.available ? "Connected." : "The service has a problem; your chats are held.");
        break;
      case "error":
        this.onError(frame);
        break;
      default:
        break;
    }
  }

  onError(frame) {
    const messages = {
      at_capacity: "You already have as many chats as you can take. End one first.",
      queue_empty: "Nobody you can help is waiting.",
      conflict: frame.ref === "take" ? "Someone else took them first." : "That can't be done right now.",
      forbidden: frame.ref === "take" ? "You're not trained for their topics." : "That isn't allowed for your role.",
      not_in_session: "That chat is no longer open.",
      unknown_type: "This server doesn't support that yet.",
    };
    const text = messages[frame.code] || `The server said: ${frame.message}`;
    this.status(text);
    this.announce(text);
  }

  onMatched(frame) {
    const existing = this.sessions.get(frame.session);
    if (existing && existing.open) return;
    if (existing) this.close(existing);
    const joined = this.joining.delete(frame.session);
    const view = new SessionView(this, frame, joined);
    if (this.conn.floor[frame.session]) {
      view.note("Messages from before this page was reloaded aren't kept in the browser, so "
        + "they aren't shown. New ones are.");
    }
    this.sessions.set(frame.session, view);
    $("tabs").append(view.tab);
    $("panels").append(view.panel);
    if (!this.current || !this.current.open) this.select(view);
    else view.setUnread(1);
    this.updateEmpty();
    this.announce(`New chat with ${frame.peer}${frame.risk ? ", risk flagged" : ""}.`);
    this.notify(`New chat with ${frame.peer}`);
  }

  // --- tabs -----------------------------------------------------------------------

  select(view) {
    for (const other of this.sessions.values()) {
      const on = other === view;
      other.selected = on;
      other.tab.setAttribute("aria-selected", String(on));
      other.tab.tabIndex = on ? 0 : -1;
      other.panel.hidden = !on;
    }
    this.current = view;
    view.setUnread(0);
    view.scroll();
  }

  onTabKey(event, view) {
    const views = [...this.sessions.values()];
    const i = views.indexOf(view);
    let next = null;
    if (event.key === "ArrowRight") next = views[(i + 1) % views.length];
    else if (event.key === "ArrowLeft") next = views[(i - 1 + views.length) % views.length];
    else if (event.key === "Home") next = views[0];
    else if (event.key === "End") next = views[views.length - 1];
    if (!next) return;
    event.preventDefault();
    this.select(next);
    next.tab.focus();
  }

  close(view) {
    view.tab.remove();
    view.panel.remove();
    this.sessions.delete(view.id);
    this.conn.forget(view.id);
    if (this.current === view) {
      this.current = null;
      const next = [...this.sessions.values()].at(-1);
      if (next) {
        this.select(next);
        next.tab.focus();
      } else {
        $("conversations").focus();
      }
    }
    this.updateEmpty();
  }

  updateEmpty() {
    $("no-sessions").hidden = this.sessions.size > 0;
  }

  // --- notifications -------------------------------------------------------------

  notify(text) {
    if (!document.hidden) return;
    this.missed += 1;
    document.title = `(${this.missed}) ${TITLE}`;
    if ($("sound").checked) this.beeper.beep();
    this.announce(text); // read when the person comes back to the tab
  }

  clearMissed() {
    this.missed = 0;
    document.title = TITLE;
  }

  // --- the queue ------------------------------------------------------------------

  take(seeker) {
    const frame = { type: "take" };
    if (seeker) frame.seeker = seeker;
    this.conn.send(frame);
  }

  renderQueue() {
    if (!this.conn) return;
    const { entries, at } = this.queue;
    const waiting = this.queue.waiting || 0;
    const elapsed = Math.floor((Date.now() - at) / 1000);
    $("queue-count").textContent = String(waiting);
    $("queue-empty").hidden = entries.length > 0;
    $("take-next").disabled = waiting === 0;
    const items = entries.map((entry) => {
      const topics = entry.topics.length ? entry.topics.join(", ") : "any topic";
      const waited = duration(entry.waited_s + elapsed);
      const urgent = entry.priority === "urgent";
      return h("li", { class: `entry${urgent ? " urgent" : ""}${entry.risk ? " risky" : ""}` },
        h("span", { class: "entry-topics" }, topics),
        h("span", { class: "entry-wait" }, `waiting ${waited}`),
        urgent ? h("span", { class: "badge urgent" }, "urgent") : null,
        entry.risk ? h("span", { class: "badge risk" }, "risk") : null,
        h("button", {
          type: "button", class: "take", "data-entry": entry.id,
          "aria-label": `Take: ${topics}, waiting ${waited}${urgent ? ", urgent" : ""}`,
          onclick: () => this.take(entry.id),
        }, "Take"));
    });
    // Keep focus on a Take button across the 1 s refresh (same entry, same place).
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.entry : undefined;
    $("queue").replaceChildren(...items);
    if (focused) {
      const again = $("queue").querySelector(`button[data-entry="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  // --- supervisors ---------------------------------------------------------------

  renderOverview(frame) {
    $("overview-count").textContent = String(frame.sessions.length);
    $("overview-empty").hidden = frame.sessions.length > 0;
    $("overview").replaceChildren(...frame.sessions.map((s) => h("li", { class: `live${s.risk ? " risky" : ""}` },
      h("span", { class: "live-who" }, s.listener),
      h("span", { class: "hint" }, `${s.topics.length ? s.topics.join(", ") : "any topic"} · ${duration(s.started_s)}`),
      s.risk ? h("span", { class: "badge risk" }, "risk") : null,
      s.escalated ? h("span", { class: "badge urgent" }, "asked for help") : null,
      s.supervised ? h("span", { class: "badge" }, "supervised") : null,
      s.escalated && !this.sessions.has(s.id) ? this.joinButton(s.id, s.listener) : null)));
  }

  joinButton(session, listener) {
    return h("button", {
      type: "button", class: "primary join", "aria-label": `Join ${listener}'s chat`,
      onclick: () => {
        this.joining.add(session);
        this.conn.send({ type: "join", session });
      },
    }, "Join");
  }

  notice(kind, text, session = null, canJoin = false) {
    $("notices-empty").hidden = true;
    const item = h("li", { class: `notice ${kind}` },
      h("span", { class: "notice-time" }, new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
      h("span", {}, text),
      canJoin && session && this.role === "supervisor" ? this.joinButton(session, "the listener") : null);
    $("notices").prepend(item);
    while ($("notices").children.length > 50) $("notices").lastChild.remove();
  }

  debrief(session) {
    const frame = { type: "debrief_request" };
    if (session) frame.session = session;
    this.conn.send(frame);
    this.ready = false; // the server sets us away until we say ready again
    this.store.update({ ready: false });
    this.renderReadiness();
    this.status("You asked for a debrief. A supervisor will be in touch; you're set to away.");
  }
}

new Console();
