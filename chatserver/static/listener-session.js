// One conversation in the listener console: its tab, its panel and its actions.
//
// A SessionView is made for each `matched` (a new seeker, a transfer to this
// listener, a supervisor joining) and lives until the listener closes it
// after `ended`. It shows the intro and handover note, the messages in seq
// order, typing, the seeker's away/back, risk flags and who joined; its
// actions are the staff frames of PROTOCOL.md: send, typing, escalate (with
// a note), transfer, report, end (with a reason, an optional block, and a
// confirmation), and for a supervisor who joined, leave.

import { h } from "./dom.js";
import { codePoints, isBlank } from "./protocol.js";
import { Transcript } from "./transcript.js";

const MAX_TEXT = 4000;
const MAX_NOTE = 500;
const TYPING_SHOWN_MS = 5000;
let counter = 0;

/** A modal <dialog> holding a form; resolves with the form's data, or null if cancelled. */
function ask(container, title, fields, confirmText, { danger = false } = {}) {
  return new Promise((resolve) => {
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { method: "dialog" },
      h("h3", {}, title), fields, error,
      h("div", { class: "dialog-actions" },
        h("button", { type: "submit", class: danger ? "danger" : "primary", value: "ok" }, confirmText),
        h("button", { type: "button", onclick: () => dialog.close("cancel") }, "Cancel")));
    const dialog = h("dialog", { class: "dialog" }, form);
    form.addEventListener("submit", (event) => {
      const note = form.querySelector("textarea");
      if (note && codePoints(note.value) > MAX_NOTE) {
        event.preventDefault();
        error.textContent = `Please keep the note to ${MAX_NOTE} characters.`;
        return;
      }
      dialog.returnValue = "ok";
    });
    dialog.addEventListener("close", () => {
      const data = dialog.returnValue === "ok" ? new FormData(form) : null;
      dialog.remove();
      resolve(data);
    });
    container.append(dialog);
    dialog.showModal();
  });
}

function noteField(label, hint) {
  const id = `note-${++counter}`;
  return [
    h("label", { for: id }, label),
    h("textarea", { id, name: "note", rows: "3", autocomplete: "off", "aria-describedby": `${id}-hint` }),
    h("p", { class: "hint", id: `${id}-hint` }, hint),
  ];
}

export class SessionView {
  /**
   * @param app the console (conn, handle, role, select(), announce(), notify())
   * @param frame the `matched` frame that opened the session
   * @param joined true when a supervisor joined it (they may only leave, not end)
   */
  constructor(app, frame, joined) {
    this.app = app;
    this.id = frame.session;
    this.peer = frame.peer;
    this.topics = frame.topics || [];
    this.joined = joined;
    this.risk = frame.risk === true;
    this.endedReason = null;
    this.unread = 0;
    this.n = ++counter;
    this.build(frame);
  }

  build(frame) {
    const tabId = `tab-${this.n}`;
    const panelId = `panel-${this.n}`;
    this.badge = h("span", { class: "badge unread", hidden: true });
    this.riskMark = h("span", { class: "badge risk", hidden: !this.risk }, "risk");
    this.tab = h("button", {
      type: "button", role: "tab", id: tabId, class: "tab", "aria-selected": "false",
      "aria-controls": panelId, tabindex: "-1", onclick: () => this.app.select(this),
      onkeydown: (event) => this.app.onTabKey(event, this),
    }, h("span", { class: "tab-name" }, this.peer), this.riskMark, this.badge);

    this.riskBanner = h("p", { class: "risk-banner", hidden: !this.risk },
      "Risk flagged: something said matched a crisis pattern. Follow your safety procedure; "
      + "you can ask a supervisor for help.");
    this.awayLine = h("p", { class: "away-line", hidden: true });
    this.transcript = new Transcript({ label: `Conversation with ${this.peer}` });
    this.typingLine = h("p", { class: "typing", "aria-hidden": "true", hidden: true });
    const inputId = `message-${this.n}`;
    this.input = h("textarea", {
      id: inputId, rows: "2", autocomplete: "off",
      oninput: () => this.app.conn.typing(this.id),
      onkeydown: (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.send();
        }
      },
    });
    this.sendError = h("p", { class: "error", role: "alert" });
    this.composer = h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); this.send(); } },
      h("label", { for: inputId, class: "sr-only" }, `Message to ${this.peer}`),
      this.input,
      h("button", { type: "submit", class: "primary" }, "Send"));
    this.actions = h("div", { class: "actions" }, this.actionButtons());
    this.endedLine = h("p", { class: "ended-line", role: "status", hidden: true });

    const topics = this.topics.length ? this.topics.join(", ") : "any topic";
    this.panel = h("section", {
      role: "tabpanel", id: panelId, class: "session", "aria-labelledby": tabId, hidden: true,
    },
    h("header", { class: "session-head" },
      h("h2", {}, this.peer),
      h("p", { class: "hint" }, this.joined ? `Joined as supervisor · ${topics}` : `Topics: ${topics}`)),
    this.riskBanner,
    frame.intro ? h("div", { class: "intro" }, h("h3", {}, "What's on their mind"), h("p", {}, frame.intro)) : null,
    frame.handover ? h("div", { class: "intro" }, h("h3", {}, "Handover note"), h("p", {}, frame.handover)) : null,
    this.awayLine, this.transcript.el, this.typingLine, this.composer,
    h("p", { class: "hint" }, "Enter sends; Shift+Enter starts a new line."),
    this.sendError, this.endedLine, this.actions);
  }

  actionButtons() {
    if (this.joined) {
      return [h("button", { type: "button", onclick: () => this.leave() }, "Leave this chat")];
    }
    return [
      h("button", { type: "button", onclick: () => this.escalate() }, "Ask a supervisor"),
      h("button", { type: "button", onclick: () => this.transfer() }, "Transfer"),
      h("button", { type: "button", onclick: () => this.report() }, "Report"),
      h("button", { type: "button", class: "danger", onclick: () => this.end() }, "End chat"),
    ];
  }

  get open() {
    return this.endedReason === null;
  }

  // --- the conversation -------------------------------------------------------

  note(text) {
    this.transcript.note(text);
  }

  scroll() {
    this.transcript.scroll();
  }

  send() {
    const text = this.input.value;
    if (isBlank(text) || !this.open) return;
    if (codePoints(text) > MAX_TEXT) {
      this.sendError.textContent = `Please keep a message to ${MAX_TEXT} characters.`;
      return;
    }
    this.sendError.textContent = "";
    this.transcript.mine(this.app.conn.say(this.id, text), text);
    this.input.value = "";
  }

  onSent(frame) {
    this.transcript.sent(frame);
  }

  onMessage(frame) {
    this.hideTyping();
    this.transcript.theirs(frame, frame.sender || this.peer);
    if (!this.selected) this.setUnread(this.unread + 1);
  }

  setUnread(n) {
    this.unread = n;
    this.badge.textContent = n ? `${n} new` : "";
    this.badge.hidden = n === 0;
  }

  showTyping() {
    this.typingLine.textContent = `${this.peer} is typing…`;
    this.typingLine.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOWN_MS);
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    this.typingLine.hidden = true;
  }

  peerAway() {
    this.awayLine.textContent = `${this.peer}'s connection dropped. What you send is kept and `
      + "delivered when they come back (within a minute or so).";
    this.awayLine.hidden = false;
    this.note(`${this.peer} is away.`);
  }

  peerBack() {
    this.awayLine.hidden = true;
    this.note(`${this.peer} is back.`);
  }

  flagRisk() {
    this.risk = true;
    this.riskBanner.hidden = false;
    this.riskMark.hidden = false;
  }

  memberJoined(frame) {
    this.note(frame.name === this.app.handle ? "You joined this chat." : `${frame.name} (${frame.role}) joined.`);
  }

  memberLeft(frame) {
    if (frame.name === this.app.handle && this.joined) {
      this.ended({ reason: "left" });
      return;
    }
    this.note(`${frame.name} left.`);
  }

  ended(frame) {
    if (!this.open) return;
    this.endedReason = frame.reason;
    this.hideTyping();
    this.awayLine.hidden = true;
    this.input.disabled = true;
    this.composer.querySelector("button").disabled = true;
    const why = {
      seeker_ended: "They ended the chat.", listener_ended: "You ended the chat.",
      disconnected: "Their connection was lost for too long.", idle: "It ended after a long quiet time.",
      server_shutdown: "The server restarted.", blocked: "You ended it and blocked them.",
      transferred: "You handed it over.", left: "You left this chat.",
    }[frame.reason] || "It ended.";
    this.endedLine.textContent = `The chat has ended. ${why} Everything said in it is deleted from the server.`;
    this.endedLine.hidden = false;
    this.tab.classList.add("ended");
    this.actions.replaceChildren(
      this.joined ? null : h("button", { type: "button", onclick: () => this.app.debrief(this.id) },
        "Ask for a debrief about this chat"),
      h("button", { type: "button", onclick: () => this.app.close(this) }, "Close"));
  }

  // --- staff actions ----------------------------------------------------------

  async escalate() {
    const data = await ask(this.panel, `Ask a supervisor to help with ${this.peer}`,
      noteField("A note for the supervisor (optional)", "Not stored or logged; up to 500 characters."),
      "Ask for help");
    if (!data) return;
    const frame = { type: "escalate", session: this.id };
    const note = String(data.get("note") || "");
    if (!isBlank(note)) frame.note = note;
    this.app.conn.send(frame);
    this.note("You asked the supervisors on duty for help.");
  }

  async transfer() {
    const data = await ask(this.panel, `Hand ${this.peer} over`, [
      h("fieldset", {},
        h("legend", {}, "To"),
        h("label", { class: "check" }, h("input", { type: "radio", name: "to", value: "listener", checked: true }), " another listener"),
        h("label", { class: "check" }, h("input", { type: "radio", name: "to", value: "supervisor" }), " a supervisor")),
      noteField("Handover note (optional)", "Only the next listener sees it; never stored."),
    ], "Transfer");
    if (!data) return;
    const frame = { type: "transfer", session: this.id, to: String(data.get("to") || "listener") };
    const note = String(data.get("note") || "");
    if (!isBlank(note)) frame.note = note;
    this.app.conn.send(frame);
  }

  async report() {
    const id = `reason-${this.n}`;
    const data = await ask(this.panel, `Report ${this.peer}`, [
      h("label", { for: id }, "Reason"),
      h("select", { id, name: "reason" },
        ["abuse", "harassment", "spam", "unsafe", "other"].map((r) => h("option", { value: r }, r))),
      h("p", { class: "hint" }, "Supervisors are told; nothing of the conversation is sent."),
    ], "Report");
    if (!data) return;
    this.app.conn.send({ type: "report", session: this.id, reason: String(data.get("reason")) });
    this.note("You reported this chat to the supervisors.");
  }

  async end() {
    const reasonId = `end-reason-${this.n}`;
    const blockId = `block-${this.n}`;
    const data = await ask(this.panel, `End the chat with ${this.peer}?`, [
      h("label", { for: reasonId }, "Why (for the service; never shown to them)"),
      h("select", { id: reasonId, name: "reason" },
        h("option", { value: "done" }, "We finished"),
        h("option", { value: "no_reply" }, "No reply"),
        h("option", { value: "unsafe" }, "Unsafe or abusive"),
        h("option", { value: "other" }, "Other")),
      h("label", { class: "check" },
        h("input", { type: "checkbox", name: "block", id: blockId, "aria-describedby": `${blockId}-hint` }),
        " Also block this person for a while"),
      h("p", { class: "hint", id: `${blockId}-hint` },
        "For abuse only: they can't start another chat for 24 hours and are shown helplines."),
    ], "End chat", { danger: true });
    if (!data) return;
    const frame = { type: "end", session: this.id, reason: String(data.get("reason") || "done") };
    if (data.get("block")) frame.block = true;
    this.app.conn.send(frame);
  }

  leave() {
    this.app.conn.send({ type: "leave", session: this.id });
  }
}
