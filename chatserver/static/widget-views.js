// The widget's views, as DOM: the frame, start, waiting, chat, ended, refused, helplines.
//
// Each function builds elements for the Widget `w` (widget-app.js), keeps
// the ones the widget updates later on `w` (w.input, w.positionText, ...)
// and wires events to w's methods. Behaviour stays in widget-app.js; words
// come from w.t (widget-strings.js).

import { h, svg } from "./dom.js";
import { Transcript } from "./transcript.js";

function bubbleIcon() {
  return svg("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" },
    svg("path", { d: "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" }));
}

/** Only http(s) links reach an href (a `resources` item is the operator's, still). */
function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function dialable(number) {
  const digits = number.replace(/[^0-9+]/g, "");
  return digits.length >= 2 ? digits : null;
}

/** A `resources` frame's items as a list of ways to get help. */
export function resourceList(items, t) {
  return h("ul", { class: "cw-resources-list" }, items.map((item) => {
    const ways = [];
    if (item.phone) {
      const tel = dialable(item.phone);
      ways.push(tel ? h("a", { href: `tel:${tel}` }, t.call(item.phone)) : t.call(item.phone));
    }
    if (item.sms) {
      const sms = dialable(item.sms);
      ways.push(sms ? h("a", { href: `sms:${sms}` }, t.text(item.sms)) : t.text(item.sms));
    }
    const url = item.url ? safeUrl(item.url) : null;
    if (url) ways.push(h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, t.website));
    return h("li", {},
      h("strong", {}, item.name),
      item.hours ? h("span", { class: "cw-hours" }, ` (${item.hours})`) : null,
      ways.length ? h("span", { class: "cw-ways" }, ways.flatMap((way, i) => (i ? [" · ", way] : [way]))) : null);
  }));
}

/** The launcher and the panel around the views (a non-modal dialog). */
export function frameView(w) {
  const t = w.t;
  w.launcherLabel = h("span", { class: "cw-launcher-label" }, t.launcher);
  w.launcher = h("button", {
    type: "button", class: "cw-launcher", "aria-expanded": "false", "aria-controls": "cw-panel",
    onclick: () => w.setOpen(true, true),
  }, bubbleIcon(), w.launcherLabel);
  w.title = h("h2", { id: "cw-title", class: "cw-title", tabindex: "-1" }, t.title);
  w.banner = h("p", { class: "cw-banner", role: "status", hidden: true });
  w.announcer = h("p", { class: "cw-sr-only", role: "status", "aria-live": "polite" });
  w.resources = h("section", { class: "cw-resources", "aria-labelledby": "cw-resources-title", hidden: true });
  w.body = h("div", { class: "cw-body" });
  w.panel = h("section", {
    id: "cw-panel", class: "cw-panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "cw-title", hidden: true, onkeydown: (event) => w.onKey(event),
  },
  h("header", { class: "cw-header" },
    w.title,
    h("button", { type: "button", class: "cw-exit", title: t.leaveQuicklyHint, onclick: () => w.leaveQuickly() },
      t.leaveQuickly),
    h("button", {
      type: "button", class: "cw-minimise", "aria-label": t.minimise, title: t.minimise,
      onclick: () => w.setOpen(false, true),
    }, "–")),
  w.banner, w.announcer, h("div", { class: "cw-scroll" }, w.resources, w.body));
  return h("div", { class: "cw", "data-position": w.config.position }, w.launcher, w.panel);
}

/** Before the chat: what this is, the emergency note, optional topics and intro. */
export function startView(w) {
  const t = w.t;
  w.startError = h("p", { class: "cw-error", role: "alert" });
  const topicBoxes = w.topics.map((topic) => h("label", { class: "cw-topic" },
    h("input", { type: "checkbox", name: "topic", value: topic }),
    " ", t.topicNames[topic] || topic.replace(/[_-]/g, " ")));
  const intro = h("textarea", {
    id: "cw-intro", name: "intro", rows: "3", autocomplete: "off", "aria-describedby": "cw-intro-hint",
  });
  w.startButton = h("button", { type: "submit", class: "cw-primary" }, t.start);
  const form = h("form", { class: "cw-start", onsubmit: (event) => w.onStart(event, form, intro) },
    topicBoxes.length ? h("fieldset", { class: "cw-topics" },
      h("legend", {}, t.topicsLegend),
      h("p", { class: "cw-hint" }, t.topicsHint),
      h("div", { class: "cw-topic-list" }, topicBoxes)) : null,
    h("label", { for: "cw-intro", class: "cw-label" }, t.introLabel),
    h("p", { id: "cw-intro-hint", class: "cw-hint" }, t.introHint),
    intro, w.startError, w.startButton);
  return h("div", {},
    h("p", { class: "cw-note" }, t.note),
    h("p", { class: "cw-note" }, t.nothingKept),
    h("section", { class: "cw-emergency", "aria-labelledby": "cw-emergency-title" },
      h("h3", { id: "cw-emergency-title" }, t.emergencyHeading),
      h("p", {}, t.emergency),
      h("button", { type: "button", class: "cw-link", onclick: () => w.askForResources() }, t.showHelplines)),
    form);
}

/** In the queue: the place, the expected wait, a way out. */
export function waitingView(w) {
  const t = w.t;
  w.waitingHeading = h("h3", { tabindex: "-1" }, t.waitingHeading);
  w.positionText = h("p", { class: "cw-position", role: "status" });
  w.etaText = h("p", { class: "cw-eta" }, t.noEta);
  return h("div", { class: "cw-waiting" },
    w.waitingHeading,
    h("div", { class: "cw-dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
    w.positionText, w.etaText,
    h("p", { class: "cw-hint" }, t.waitingHint),
    h("button", { type: "button", class: "cw-secondary", onclick: () => w.end("done") }, t.leaveQueue));
}

/** The conversation: who, the transcript, typing, the composer, end (confirmed), help. */
export function chatView(w) {
  const t = w.t;
  w.peerLine = h("p", { class: "cw-peer" }, t.talkingWith(w.peer || ""));
  w.transcript = new Transcript({ prefix: "cw-", label: t.conversation, you: t.you, sending: t.sending });
  w.typingLine = h("p", { class: "cw-typing", "aria-hidden": "true", hidden: true });
  w.input = h("textarea", {
    id: "cw-message", name: "message", rows: "2", autocomplete: "off", "aria-describedby": "cw-message-hint",
    oninput: () => w.onInput(),
    onkeydown: (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        w.sendMessage();
      }
    },
  });
  w.sendError = h("p", { class: "cw-error", role: "alert" });
  w.endButton = h("button", { type: "button", class: "cw-secondary", onclick: () => w.confirmEnd() }, t.endChat);
  w.confirmBox = h("div", { class: "cw-confirm", role: "group", "aria-label": t.endConfirm, hidden: true },
    h("p", {}, t.endConfirm),
    h("button", { type: "button", class: "cw-danger", onclick: () => w.end("done") }, t.endYes),
    h("button", { type: "button", class: "cw-secondary", onclick: () => w.cancelEnd() }, t.endNo));
  return h("div", { class: "cw-chat" },
    w.peerLine, w.transcript.el, w.typingLine,
    h("form", { class: "cw-composer", onsubmit: (event) => { event.preventDefault(); w.sendMessage(); } },
      h("label", { for: "cw-message", class: "cw-sr-only" }, t.messageLabel),
      w.input,
      h("button", { type: "submit", class: "cw-primary cw-send" }, t.send)),
    h("p", { id: "cw-message-hint", class: "cw-hint" }, t.messageHint),
    w.sendError,
    h("div", { class: "cw-actions" },
      w.endButton,
      h("button", { type: "button", class: "cw-link", onclick: () => w.askForResources() }, t.getHelp)),
    w.confirmBox);
}

/** After the end: why, that it is deleted, the one-question feedback, a new start. */
export function endedView(w) {
  const t = w.t;
  w.endedHeading = h("h3", { tabindex: "-1" }, t.endedHeading);
  const parts = [w.endedHeading, h("p", {}, t.endedReasons[w.endedReason] || t.endedDefault)];
  if (w.endedReason !== "left_queue") parts.push(h("p", {}, t.deleted));
  if (w.endedSession) parts.push(feedbackForm(w));
  parts.push(h("button", { type: "button", class: "cw-primary", onclick: () => w.newChat() }, t.newChat));
  return h("div", { class: "cw-ended" }, parts);
}

function feedbackForm(w) {
  const t = w.t;
  const thanks = h("p", { class: "cw-thanks", role: "status" });
  const fieldset = h("fieldset", {},
    h("legend", {}, t.feedbackLegend),
    h("div", { class: "cw-scores" }, t.feedbackScores.map((text, i) => h("label", { class: "cw-score" },
      h("input", { type: "radio", name: "score", value: String(i + 1) }), " ", text))),
    h("button", { type: "submit", class: "cw-secondary" }, t.feedbackSend));
  const form = h("form", {
    class: "cw-feedback",
    onsubmit: (event) => {
      event.preventDefault();
      const chosen = form.querySelector("input[name=score]:checked");
      if (!chosen) {
        form.querySelector("input[name=score]").focus();
        return;
      }
      w.giveFeedback(Number(chosen.value));
      fieldset.disabled = true;
      thanks.textContent = t.feedbackThanks;
    },
  }, fieldset, thanks);
  return form;
}

/** Turned away: blocked, a full queue, or this chat opened in another tab. */
export function refusedView(w) {
  const t = w.t;
  w.refusedHeading = h("h3", { tabindex: "-1" }, t.title);
  const text = { blocked: t.blocked, queue_full: t.queueFull, replaced: t.replaced }[w.refusal];
  return h("div", { class: "cw-refused" },
    w.refusedHeading,
    h("p", {}, text || t.refused),
    w.refusal === "blocked" ? null
      : h("button", { type: "button", class: "cw-primary", onclick: () => w.newChat() }, t.tryAgain));
}

/** The helplines panel, above every view. */
export function resourcesView(w, frame) {
  const t = w.t;
  return [
    h("h3", { id: "cw-resources-title" }, t.resourcesHeading),
    h("p", {}, t.resourcesReasons[frame.reason] || t.resourcesReasons.requested),
    frame.items.length ? resourceList(frame.items, t) : h("p", {}, t.noHelplines),
    h("button", { type: "button", class: "cw-link", onclick: () => w.hideResources() }, t.hideResources),
  ];
}
