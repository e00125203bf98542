// The operators' dashboard (/dashboard): GET /stats every few seconds, as charts.
//
// /stats mirrors /metrics as JSON (see chatserver/stats.py) and needs a
// supervisor's token, sent as "Authorization: Bearer"; the page asks for it
// once and keeps it in this tab's sessionStorage. Gauges (queue, chats,
// listeners) are service-wide; counters and the wait histogram count what
// the node that answered did since it started, which the page says.
// The page keeps the last ten minutes of the gauges in memory to draw lines.

import { barChart, hbarChart, lineChart } from "./charts.js";
import { SessionStore } from "./connection.js";
import { duration, h } from "./dom.js";

// Every 3 s by default; ?refresh=<seconds> (1 to 60) changes it.
const REFRESH_S = Number(new URLSearchParams(location.search).get("refresh")) || 3;
const EVERY_MS = Math.min(60, Math.max(1, REFRESH_S)) * 1000;
const KEEP_MS = 10 * 60 * 1000;
const $ = (id) => document.getElementById(id);

const REASONS = {
  seeker_ended: "seeker ended", listener_ended: "listener ended", left_queue: "left the queue",
  disconnected: "disconnected", idle: "idle", server_shutdown: "server shutdown",
  blocked: "blocked", transferred: "transferred",
};

/** The series of one metric as [{labels, value}] (empty when the server lacks it). */
function series(stats, name) {
  const metric = stats.metrics[name];
  if (!metric) return [];
  return Object.entries(metric.values).map(([key, value]) => ({
    labels: Object.fromEntries(key ? key.split(",").map((pair) => pair.split("=", 2)) : []),
    value,
  }));
}

function total(stats, name) {
  return series(stats, name).reduce((sum, s) => sum + (s.value || 0), 0);
}

function byLabel(stats, name, label) {
  return Object.fromEntries(series(stats, name).map((s) => [s.labels[label], s.value || 0]));
}

/** A bucket's bound for an axis: "30s", "5m", "1h". */
function compact(seconds) {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

/** Prometheus's histogram_quantile: linear within the bucket holding the q-th observation. */
export function quantile(q, buckets) {
  const bounds = Object.entries(buckets)
    .map(([le, count]) => [le === "+Inf" ? Infinity : Number(le), count])
    .sort((a, b) => a[0] - b[0]);
  const count = bounds.length ? bounds[bounds.length - 1][1] : 0;
  if (!count) return null;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [upper, cumulative] of bounds) {
    if (cumulative >= rank) {
      if (upper === Infinity) return lower;
      const inBucket = cumulative - below;
      return inBucket ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
    }
    lower = upper;
    below = cumulative;
  }
  return lower;
}

function table(headers, rows) {
  return h("details", {},
    h("summary", {}, "Numbers"),
    h("table", { class: "data-table" },
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r[0]), h("td", { class: "n" }, String(r[1])))))));
}

function card(id, title, chart, numbers) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), chart, numbers);
}

class Dashboard {
  constructor() {
    this.store = new SessionStore("chatserver:dashboard");
    this.history = [];
    this.timer = null;
    this.paused = false;
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.start($("token").value.trim());
    });
    $("sign-out").addEventListener("click", () => this.signOut());
    $("pause").addEventListener("click", () => {
      this.paused = !this.paused;
      $("pause").setAttribute("aria-pressed", String(this.paused));
      $("pause").textContent = this.paused ? "Resume updates" : "Pause updates";
      if (!this.paused) this.poll();
    });
    const saved = this.store.load();
    if (saved && saved.token) this.start(saved.token);
  }

  start(token) {
    if (!token) return;
    this.token = token;
    $("sign-in-error").textContent = "";
    $("status").textContent = "Loading…";
    this.poll();
  }

  signOut() {
    clearTimeout(this.timer);
    this.token = null;
    this.store.clear();
    this.history = [];
    $("board").hidden = true;
    $("top-actions").hidden = true;
    $("sign-in").hidden = false;
    $("token").value = "";
    $("status").textContent = "Signed out.";
    $("token").focus();
  }

  async poll() {
    clearTimeout(this.timer);
    if (!this.token) return;
    let response;
    try {
      response = await fetch("/stats", {
        headers: { Authorization: `Bearer ${this.token}` }, cache: "no-store",
      });
    } catch {
      $("status").textContent = "Can't reach the server; trying again…";
      this.schedule();
      return;
    }
    if (response.status === 401 || response.status === 403) {
      const body = await response.json().catch(() => ({}));
      this.signOut();
      $("sign-in-error").textContent = response.status === 403
        ? "That token is not a supervisor's: the dashboard is for supervisors."
        : `The token was not accepted${body.message ? `: ${body.message}` : "."}`;
      $("status").textContent = "";
      return;
    }
    if (!response.ok) {
      $("status").textContent = `The server answered ${response.status}; trying again…`;
      this.schedule();
      return;
    }
    const stats = await response.json();
    this.store.update({ token: this.token });
    $("sign-in").hidden = true;
    $("board").hidden = false;
    $("top-actions").hidden = false;
    this.render(stats);
    $("status").textContent = `Updated ${new Date(stats.ts).toLocaleTimeString()}`;
    this.schedule();
  }

  schedule() {
    if (!this.paused && this.token) this.timer = setTimeout(() => this.poll(), EVERY_MS);
  }

  render(stats) {
    const waiting = total(stats, "chat_queue_length");
    const active = total(stats, "chat_sessions_active");
    const listeners = byLabel(stats, "chat_listeners", "state");
    this.history.push({ t: stats.ts, waiting, active });
    while (this.history.length && stats.ts - this.history[0].t > KEEP_MS) this.history.shift();

    const wait = (stats.metrics.chat_wait_seconds || { values: {} }).values[""]
      || { buckets: {}, count: 0 };
    const median = quantile(0.5, wait.buckets);
    const p90 = quantile(0.9, wait.buckets);
    const risk = total(stats, "chat_risk_flags_total");
    const feedback = byLabel(stats, "chat_feedback_total", "score");
    const answers = Object.values(feedback).reduce((a, b) => a + b, 0);
    const mean = answers
      ? Object.entries(feedback).reduce((sum, [score, n]) => sum + Number(score) * n, 0) / answers : null;

    $("fig-waiting").textContent = String(waiting);
    $("fig-active").textContent = String(active);
    $("fig-available").textContent = String(listeners.available || 0);
    $("fig-median").textContent = median === null ? "–" : median < 1 ? "under 1 s" : duration(median);
    $("fig-risk").textContent = stats.metrics.chat_risk_flags_total ? String(risk) : "n/a";
    $("fig-feedback").textContent = mean === null ? "–" : `${mean.toFixed(1)} / 5`;

    const queueByTopic = series(stats, "chat_queue_length")
      .map((s) => ({ label: s.labels.topic, value: s.value || 0 }))
      .filter((row) => row.value > 0 || row.label === "none");
    const buckets = Object.entries(wait.buckets);
    const waitRows = buckets.map(([le, cumulative], i) => ({
      label: le === "+Inf" ? `over ${buckets[i - 1] ? buckets[i - 1][0] : 0} s` : `up to ${le} s`,
      short: le === "+Inf" ? "more" : compact(Number(le)),
      value: cumulative - (i ? buckets[i - 1][1] : 0),
    }));
    const listenerRows = ["available", "busy", "away"].map((state) => ({ label: state, value: listeners[state] || 0 }));
    const endedRows = series(stats, "chat_sessions_ended_total")
      .map((s) => ({ label: REASONS[s.labels.reason] || s.labels.reason, value: s.value || 0 }));
    const riskRows = series(stats, "chat_risk_flags_total")
      .map((s) => ({ label: `in ${s.labels.where || "all"}`, value: s.value || 0, alt: true }));
    const feedbackRows = [1, 2, 3, 4, 5].map((score) => ({ label: String(score), value: feedback[score] || 0 }));

    const rows = (list) => list.map((r) => [r.label, r.value]);
    $("charts").replaceChildren(
      card("chart-waiting", "Waiting over time",
        lineChart(this.history.map((p) => ({ t: p.t, v: p.waiting })), { label: "Seekers waiting" }),
        table(["by first topic", "waiting"], rows(queueByTopic))),
      card("chart-active", "Active chats over time",
        lineChart(this.history.map((p) => ({ t: p.t, v: p.active })), { label: "Active chats" }),
        table(["", "now"], [["active chats", active]])),
      card("chart-topics", "Waiting now, by first topic",
        barChart(queueByTopic, { label: "Waiting by topic" }), table(["topic", "waiting"], rows(queueByTopic))),
      card("chart-wait", `Waiting times (${wait.count} matched${p90 === null ? "" : `, 90% within ${duration(Math.max(1, p90))}`})`,
        barChart(waitRows, { label: "Seekers by how long they waited" }), table(["waited", "seekers"], rows(waitRows))),
      card("chart-listeners", "Listeners by state",
        barChart(listenerRows, { label: "Listeners by state" }), table(["state", "listeners"], rows(listenerRows))),
      card("chart-ended", "How chats ended",
        hbarChart(endedRows, { label: "Chats by how they ended" }), table(["reason", "chats"], rows(endedRows))),
      card("chart-risk", "Risk flags",
        riskRows.length ? barChart(riskRows, { label: "Risk flags" })
          : h("p", { class: "hint" }, "This server does not report risk flags."),
        table(["where", "flags"], rows(riskRows))),
      card("chart-feedback", `Feedback (${answers} ${answers === 1 ? "answer" : "answers"})`,
        barChart(feedbackRows, { label: "Feedback scores" }), table(["score", "answers"], rows(feedbackRows))));
    $("scope").textContent = "Waiting, active chats and listeners are for the whole service. Waiting "
      + `times, endings, risk flags and feedback are counted by node ${stats.node} since it started.`;
  }
}

new Dashboard();
