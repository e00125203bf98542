// A conversation as a list: messages in seq order, one's own pending ones last, notes.
//
// Shared by the widget and the listener console (PROTOCOL.md, "Message
// ordering"): a `send` shows at once as pending; its `sent` gives it a seq
// and it moves into place; a `message` is placed by its seq. The list is a
// role="log" live region, so screen readers announce what is added.

import { clock, h } from "./dom.js";

export class Transcript {
  /**
   * @param prefix class prefix ("cw-" in the widget's shadow root, "" in the console)
   * @param label the log's accessible name
   * @param you how one's own messages are signed; sending: their state until `sent`
   */
  constructor({ prefix = "", label, you = "You", sending = "Sending…" }) {
    this.p = prefix;
    this.you = you;
    this.sending = sending;
    this.pending = new Map(); // send id -> <li>
    this.el = h("ol", { class: `${prefix}log`, role: "log", "aria-live": "polite", "aria-label": label });
  }

  scroll() {
    this.el.scrollTop = this.el.scrollHeight;
  }

  note(text) {
    this.el.append(h("li", { class: `${this.p}note-line` }, text));
    this.scroll();
  }

  item(mine, who, text, ts) {
    const p = this.p;
    return h("li", { class: `${p}msg ${mine ? `${p}mine` : `${p}theirs`}` },
      h("span", { class: `${p}who` }, who),
      h("span", { class: `${p}text` }, text),
      h("span", { class: `${p}meta` }, ts ? clock(ts) : this.sending));
  }

  place(li, seq) {
    li.dataset.seq = String(seq);
    for (const other of this.el.children) {
      if (other.classList.contains(`${this.p}pending`) || Number(other.dataset.seq || 0) > seq) {
        this.el.insertBefore(li, other);
        return;
      }
    }
    this.el.append(li);
  }

  /** One's own message, sent as `id`: shown now, placed when its `sent` comes. */
  mine(id, text) {
    const li = this.item(true, this.you, text, null);
    li.classList.add(`${this.p}pending`);
    this.pending.set(id, li);
    this.el.append(li);
    this.scroll();
  }

  sent(frame) {
    const li = this.pending.get(frame.id);
    if (!li) return;
    this.pending.delete(frame.id);
    li.classList.remove(`${this.p}pending`);
    li.querySelector(`.${this.p}meta`).textContent = clock(frame.ts);
    li.remove();
    this.place(li, frame.seq);
  }

  theirs(frame, who) {
    this.place(this.item(false, who, frame.text, frame.ts), frame.seq);
    this.scroll();
  }
}
