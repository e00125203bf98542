// The seeker's widget inside its shadow root: state, frames, resume, leaving.
//
// widget.js (the one-line embed) mounts this module. Views follow the
// seeker's side of a session (PROTOCOL.md, "Sessions"): start (the pre-chat
// note, optional topics and intro) -> waiting (queue place, expected wait)
// -> chat -> ended (the one-question feedback); "refused" covers blocked,
// queue_full and a connection taken over by another tab. The helplines
// panel sits above every view and opens whenever a `resources` frame comes.
// The DOM of each view is built in widget-views.js; this module holds the
// behaviour.
//
// What this tab keeps (sessionStorage, one key, through ChatConnection's
// SessionStore): the resume token, last_seq, the view, the session id and
// the listener's name. Never words.

import { ChatConnection, SessionStore } from "./connection.js";
import { codePoints, isBlank } from "./protocol.js";
import {
  chatView, endedView, frameView, refusedView, resourcesView, startView, waitingView,
} from "./widget-views.js";
import { strings } from "./widget-strings.js";

const MAX_TEXT = 4000;
const MAX_INTRO = 1000;
const MAX_TOPICS = 5;
const TYPING_SHOWN_MS = 5000;
const TOPIC = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const VIEWS = {
  start: startView, waiting: waitingView, chat: chatView, ended: endedView, refused: refusedView,
};

/** Mount the widget into `root` (the shadow root of `host`); returns it. */
export function mount(host, root, config) {
  const widget = new Widget(host, root, config);
  if (config.debug) window.__chatDebug = widget.debugHooks();
  return widget;
}

class Widget {
  constructor(host, root, config) {
    this.host = host;
    this.root = root;
    this.config = config;
    const t = strings(config.strings);
    if (config.title) t.title = t.launcher = config.title;
    if (config.note) t.note = config.note;
    if (config.emergency) t.emergency = config.emergency;
    this.t = t;
    this.topics = config.topics.filter((topic) => TOPIC.test(topic));
    this.store = new SessionStore("chatserver:widget:" + config.server);
    this.conn = null;
    this.view = "start";
    this.session = null;
    this.peer = null;
    this.wasActive = false;
    this.unread = 0;
    this.refusal = null;
    this.endedReason = null;
    this.endedSession = null;
    this.transcript = null;
    this.root.append(frameView(this));

    const saved = this.store.load();
    if (saved && saved.resume && (saved.view === "waiting" || saved.view === "chat")) {
      // Coming back to a chat in this tab (a reload, another page of the site).
      this.session = saved.session || null;
      this.peer = saved.peer || null;
      this.wasActive = saved.view === "chat";
      this.connect();
      this.setView(saved.view);
      if (saved.view === "chat") this.transcript.note(t.resumedNote);
      this.setOpen(saved.open !== false);
    } else {
      this.store.clear();
      this.setView("start");
      this.setOpen(config.open);
    }
  }

  // --- the panel --------------------------------------------------------------

  setOpen(open, byUser = false) {
    this.open = open;
    this.panel.hidden = !open;
    this.launcher.hidden = open;
    this.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      this.unread = 0;
      this.launcherLabel.textContent = this.t.launcher;
      if (byUser) this.focusForView();
    } else if (byUser) {
      this.launcher.focus();
    }
    if (this.view === "waiting" || this.view === "chat") this.store.update({ open });
  }

  onKey(event) {
    if (event.key !== "Escape") return;
    if (this.confirmBox && !this.confirmBox.hidden) this.cancelEnd();
    else this.setOpen(false, true);
    event.preventDefault();
  }

  announce(text) {
    this.announcer.textContent = "";
    // a fresh text node, a moment later, is announced even when it repeats
    setTimeout(() => { this.announcer.textContent = text; }, 50);
  }

  showBanner(text, hideAfterMs = 0) {
    clearTimeout(this.bannerTimer);
    this.banner.textContent = text;
    this.banner.hidden = false;
    if (hideAfterMs) this.bannerTimer = setTimeout(() => { this.banner.hidden = true; }, hideAfterMs);
  }

  /** Whether focus is ours to move: it is in the panel, or nowhere in particular. */
  focusInPanel() {
    if (!this.open) return false;
    const active = this.root.activeElement;
    if (active) return this.panel.contains(active);
    return document.activeElement === document.body || document.activeElement === null;
  }

  focusForView() {
    const target = {
      start: this.title, waiting: this.waitingHeading, chat: this.input,
      ended: this.endedHeading, refused: this.refusedHeading,
    }[this.view];
    (target || this.title).focus();
  }

  setView(view) {
    const moveFocus = this.focusInPanel();
    this.view = view;
    this.confirmBox = null;
    this.transcript = null;
    this.body.replaceChildren(VIEWS[view](this));
    this.body.dataset.view = view;
    if (moveFocus && view !== "start") this.focusForView();
  }

  remember() {
    this.store.update({ view: this.view, session: this.session, peer: this.peer, open: this.open });
  }

  // --- what the seeker does -----------------------------------------------------

  onStart(event, form, intro) {
    event.preventDefault();
    const t = this.t;
    const topics = [...form.querySelectorAll("input[name=topic]:checked")].map((i) => i.value);
    if (topics.length > MAX_TOPICS) return this.formError(t.tooManyTopics);
    if (codePoints(intro.value) > MAX_INTRO) return this.formError(t.tooLong(MAX_INTRO));
    this.startError.textContent = "";
    const frame = { type: "request", topics };
    if (!isBlank(intro.value)) frame.intro = intro.value;
    this.startButton.disabled = true;
    this.connect();
    this.conn.send(frame);
    return undefined;
  }

  formError(text) {
    if (this.startError) this.startError.textContent = text;
    if (this.startButton) this.startButton.disabled = false;
  }

  onInput() {
    if (this.session && this.conn) this.conn.typing(this.session);
  }

  sendMessage() {
    const text = this.input.value;
    if (isBlank(text) || !this.session) return;
    if (codePoints(text) > MAX_TEXT) {
      this.sendError.textContent = this.t.tooLong(MAX_TEXT);
      return;
    }
    this.sendError.textContent = "";
    this.transcript.mine(this.conn.say(this.session, text), text);
    this.input.value = "";
  }

  confirmEnd() {
    this.confirmBox.hidden = false;
    this.confirmBox.querySelector("button").focus();
  }

  cancelEnd() {
    this.confirmBox.hidden = true;
    this.endButton.focus();
  }

  end(reason) {
    if (this.session && this.conn) this.conn.send({ type: "end", session: this.session, reason });
  }

  giveFeedback(score) {
    this.conn.send({ type: "feedback", session: this.endedSession, score });
    this.conn.forget(this.endedSession);
    this.endedSession = null;
  }

  newChat() {
    this.session = null;
    this.peer = null;
    this.wasActive = false;
    this.refusal = null;
    this.hideResources();
    this.setView("start");
    this.focusForView();
  }

  askForResources() {
    this.connect();
    this.conn.send({ type: "resources_request" });
  }

  showResources(frame) {
    this.resources.dataset.reason = frame.reason;
    this.resources.replaceChildren(...resourcesView(this, frame));
    this.resources.hidden = false;
    this.announce(this.t.resourcesAnnounce);
    if (!this.open) this.setOpen(true);
    const scroller = this.resources.parentElement;
    if (scroller) scroller.scrollTop = 0;
  }

  hideResources() {
    this.resources.hidden = true;
    this.resources.replaceChildren();
  }

  showTyping() {
    this.typingLine.textContent = this.t.typing(this.peer || "");
    this.typingLine.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOWN_MS);
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    if (this.typingLine) this.typingLine.hidden = true;
  }

  note(text) {
    if (this.transcript) this.transcript.note(text);
  }

  // --- the connection ---------------------------------------------------------

  connect() {
    if (this.conn && this.conn.status !== "closed" && this.conn.status !== "refused") {
      this.conn.start();
      return;
    }
    this.conn = new ChatConnection({
      url: this.config.server, role: "seeker", lang: this.config.lang,
      region: this.config.region, store: this.store,
    });
    this.conn.onframe = (frame) => this.onFrame(frame);
    this.conn.onstatus = (status, detail) => this.onStatus(status, detail);
    this.conn.start();
  }

  onStatus(status, detail) {
    const t = this.t;
    if (status === "reconnecting") {
      this.showBanner(detail.welcomed === false ? t.cantConnect : t.reconnecting);
    } else if (status === "open" && !this.banner.hidden) {
      this.showBanner(t.reconnected, 3000);
    } else if (status === "refused") {
      this.refusal = detail.code;
      this.store.clear();
      this.banner.hidden = true;
      this.setView("refused");
    }
  }

  onFrame(frame) {
    const t = this.t;
    const ours = frame.session === this.session;
    switch (frame.type) {
      case "queued":
        this.session = frame.session;
        if (this.view !== "waiting") {
          this.setView("waiting");
          this.remember();
        }
        this.showPlace(frame);
        break;
      case "matched":
        this.session = frame.session;
        this.peer = frame.peer;
        this.wasActive = true;
        if (this.view !== "chat") {
          this.setView("chat");
          this.remember();
          this.announce(t.talkingWith(frame.peer));
        }
        break;
      case "message":
        if (ours && this.transcript) this.onMessage(frame);
        break;
      case "sent":
        if (ours && this.transcript) this.transcript.sent(frame);
        break;
      case "typing":
        if (ours && this.view === "chat") this.showTyping();
        break;
      case "peer_away":
        this.note(t.peerAway(this.peer || ""));
        break;
      case "peer_back":
        this.note(t.peerBack(this.peer || ""));
        break;
      case "transferred":
        this.peer = frame.peer;
        if (this.peerLine) this.peerLine.textContent = t.talkingWith(frame.peer);
        this.note(t.transferred(frame.peer));
        this.remember();
        break;
      case "member_joined":
        this.note(t.memberJoined(frame.name));
        break;
      case "member_left":
        this.note(t.memberLeft(frame.name));
        break;
      case "resources":
        this.showResources(frame);
        break;
      case "ended":
        if (ours) this.onEnded(frame);
        break;
      case "service":
        if (!frame.available) this.showBanner(t.reconnecting);
        else this.showBanner(t.reconnected, 3000);
        break;
      case "error":
        this.onError(frame);
        break;
      default:
        break;
    }
  }

  showPlace(frame) {
    const t = this.t;
    const place = t.position(frame.position, frame.waiting);
    if (this.positionText.textContent !== place) this.positionText.textContent = place;
    this.etaText.textContent = frame.eta_s === undefined
      ? t.noEta : t.eta(Math.max(1, Math.round(frame.eta_s / 60)));
  }

  onMessage(frame) {
    this.hideTyping();
    this.transcript.theirs(frame, frame.sender || this.peer || "");
    if (!this.open) {
      this.unread += 1;
      this.launcherLabel.textContent = this.t.launcherUnread(this.unread);
    }
  }

  onEnded(frame) {
    this.hideTyping();
    this.endedReason = frame.reason;
    // feedback is for sessions that became active (PROTOCOL.md, "feedback")
    this.endedSession = this.wasActive ? frame.session : null;
    if (!this.wasActive) this.conn.forget(frame.session);
    this.setView("ended");
    this.store.update({ view: "ended", session: null, peer: null });
  }

  onError(frame) {
    const t = this.t;
    if (frame.code === "blocked" || frame.code === "queue_full") {
      this.refusal = frame.code;
      this.setView("refused"); // a resources frame follows
    } else if (frame.ref === "request" && frame.code === "invalid_field") {
      this.formError(t.topicUnavailable);
    } else if (frame.ref === "request" && this.view === "start") {
      this.formError(t.refused);
    } else if (frame.ref === "send" && frame.code === "too_large") {
      if (this.sendError) this.sendError.textContent = t.messageTooLong;
    } else if (frame.ref === "resources_request") {
      this.showResources({ reason: "requested", items: [] });
    } else {
      console.warn("chat widget: the server said", frame.code, frame.message);
    }
  }

  // --- leaving ----------------------------------------------------------------

  /** Leave quickly: end the chat, forget it in this tab, remove the widget, go elsewhere. */
  leaveQuickly() {
    if (this.conn) {
      if (this.session && (this.view === "waiting" || this.view === "chat")) {
        this.conn.send({ type: "end", session: this.session, reason: "other" });
      }
      this.conn.close({ forgetAll: true });
    }
    this.store.clear();
    try {
      for (let i = window.sessionStorage.length - 1; i >= 0; i--) {
        const key = window.sessionStorage.key(i);
        if (key && key.startsWith("chatserver:")) window.sessionStorage.removeItem(key);
      }
    } catch {
      // storage is disabled: nothing was kept
    }
    this.root.replaceChildren();
    this.host.remove();
    window.location.replace(this.config.exitUrl);
  }

  debugHooks() {
    return {
      drop: () => this.conn && this.conn.drop(),
      state: () => ({
        view: this.view, session: this.session, peer: this.peer,
        status: this.conn ? this.conn.status : "none",
        unacked: this.conn ? this.conn.unacked.size : 0,
      }),
    };
  }
}
