// The seeker's chat widget: the one line a host site pastes into its pages.
//
//   <script src="https://chat.example.org/widget.js" data-topics="anxiety,stress"
//           data-title="Talk to someone" async></script>
//
// This classic script only reads its data- attributes, makes a
// <chatserver-widget> element with a shadow root (so the host page's CSS
// cannot reach in and ours cannot leak out), loads the widget's stylesheet
// into it, and imports the widget itself as ES modules from the same server
// (served with Access-Control-Allow-Origin: *). Nothing is loaded from
// anywhere else, and no socket is opened until the person starts a chat
// (or is coming back to one in this tab).
//
// Attributes (all optional):
//   data-server     WebSocket URL (default: this script's origin + /ws, ws: or wss:)
//   data-topics     comma-separated topics offered as choices (default: no choice)
//   data-title      the launcher's and the panel's title
//   data-note       replaces the pre-chat note; data-emergency the emergency text
//   data-region     sent as hello.region (picks the helplines), e.g. "gb"
//   data-lang       sent as hello.lang (default: navigator.language)
//   data-exit-url   where "Leave quickly" goes (default: BBC weather, a neutral page)
//   data-position   "right" (default) or "left"
//   data-open       "true": open the panel at once
//   data-debug      "true": expose window.__chatDebug (tests)
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || document.querySelector("chatserver-widget")) return; // one widget per page

  const base = new URL(script.src, document.baseURI);
  const data = script.dataset;
  const wsScheme = base.protocol === "https:" ? "wss:" : "ws:";
  const config = {
    base: base.href,
    server: data.server || `${wsScheme}//${base.host}/ws`,
    topics: (data.topics || "").split(",").map((t) => t.trim()).filter(Boolean),
    title: data.title || null,
    note: data.note || null,
    emergency: data.emergency || null,
    region: data.region || null,
    lang: data.lang || navigator.language || null,
    exitUrl: data.exitUrl || "https://www.bbc.co.uk/weather",
    position: data.position === "left" ? "left" : "right",
    open: data.open === "true",
    debug: data.debug === "true",
    strings: window.chatserverStrings || {},
  };

  function start() {
    const host = document.createElement("chatserver-widget");
    const root = host.attachShadow({ mode: "open" });
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = new URL("static/widget.css", base).href;
    root.append(style);
    document.body.append(host);
    const styled = new Promise((resolve) => {
      style.addEventListener("load", resolve, { once: true });
      style.addEventListener("error", resolve, { once: true });
    });
    const app = import(new URL("static/widget-app.js", base).href);
    Promise.all([app, styled])
      .then(([module]) => module.mount(host, root, config))
      .catch((err) => console.error("chat widget: could not start", err));
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
