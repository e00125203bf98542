// Every word the seeker widget shows, in one object, so that it can be translated.
//
// A host page overrides any of them by setting window.chatserverStrings
// before the widget's <script> tag, e.g. a whole translation:
//   <script>window.chatserverStrings = { launcher: "Parler à quelqu'un", ... };</script>
// Functions take the values they show. data-title, data-note and
// data-emergency on the script tag override title, note and emergency.

export const STRINGS = {
  title: "Talk to someone",
  launcher: "Talk to someone",
  launcherUnread: (n) => `Talk to someone (${n} new)`,
  minimise: "Minimise chat",
  leaveQuickly: "Leave quickly",
  leaveQuicklyHint: "Closes the chat at once, clears it from this browser tab and opens another site.",

  // before the chat
  note:
    "Chat for free with a trained peer listener. You don't need to give your name: " +
    "you'll get a random one for this chat.",
  nothingKept:
    "Nothing you write is kept. The conversation is deleted as soon as it ends, and " +
    "this page keeps no copy.",
  emergencyHeading: "In an emergency",
  emergency:
    "If you are in danger, or might act on thoughts of harming yourself, call your local " +
    "emergency number now (112, 911 or 999).",
  showHelplines: "Show helplines",
  topicsLegend: "What would you like to talk about? (optional)",
  topicsHint: "Choose up to five.",
  topicNames: {
    anxiety: "Anxiety", depression: "Feeling low", stress: "Stress", loneliness: "Loneliness",
    relationships: "Relationships", grief: "Grief or loss", self_harm: "Self-harm",
    school: "School or studies", work: "Work", identity: "Identity",
  },
  introLabel: "What's on your mind? (optional)",
  introHint: "Only the listener who takes your chat will see this.",
  start: "Start a chat",
  tooManyTopics: "Please choose at most five topics.",
  tooLong: (most) => `That's a bit long: please keep it to ${most} characters.`,
  charactersLeft: (n) => `${n} characters left`,

  // waiting
  waitingHeading: "Waiting for a listener",
  position: (n, of) => (n === 1
    ? `You're next in the queue (${of} waiting).`
    : `You're number ${n} in the queue (${of} waiting).`),
  eta: (minutes) => (minutes <= 1
    ? "Expected wait: about a minute."
    : `Expected wait: about ${minutes} minutes.`),
  noEta: "We'll connect you as soon as a listener is free.",
  waitingHint: "You can keep using this page while you wait.",
  leaveQueue: "Leave the queue",

  // the conversation
  talkingWith: (peer) => `You're talking with ${peer}`,
  conversation: "Conversation",
  you: "You",
  sending: "Sending…",
  typing: (peer) => `${peer} is typing…`,
  messageLabel: "Your message",
  messageHint: "Enter sends; Shift+Enter starts a new line.",
  send: "Send",
  endChat: "End chat",
  endConfirm: "End this chat? It will be deleted.",
  endYes: "Yes, end it",
  endNo: "Keep talking",
  getHelp: "Get help now",
  peerAway: (peer) => `${peer} lost their connection. Your messages will reach them when they're back.`,
  peerBack: (peer) => `${peer} is back.`,
  transferred: (peer) => `Your chat continues with ${peer}.`,
  memberJoined: (name) => `${name}, a supervisor, joined to help.`,
  memberLeft: (name) => `${name} left the chat.`,
  resumedNote: "Welcome back. Earlier messages aren't kept on this device, so they aren't shown.",
  reconnecting: "Connection lost. Reconnecting… Nothing you send is lost.",
  cantConnect: "Can't reach the chat service right now. Trying again…",
  reconnected: "Connected again.",

  // the end
  endedHeading: "The chat has ended",
  endedReasons: {
    seeker_ended: "You ended the chat.",
    listener_ended: "The listener ended the chat.",
    left_queue: "You left the queue.",
    disconnected: "The connection was lost for too long, so the chat ended.",
    idle: "The chat ended after a long quiet time.",
    server_shutdown: "The service is restarting. You can start a new chat in a moment.",
    blocked: "The listener ended this chat.",
  },
  endedDefault: "The chat has ended.",
  deleted: "Everything written in it has been deleted.",
  feedbackLegend: "Did this chat help?",
  feedbackScores: ["1 Not at all", "2", "3", "4", "5 A lot"],
  feedbackSend: "Send",
  feedbackThanks: "Thank you. Your answer is counted without any link to you.",
  newChat: "Start a new chat",

  // refusals and helplines
  resourcesHeading: "Help is available now",
  resourcesReasons: {
    risk: "It sounds like things are really hard right now. You can reach these services at any time:",
    long_wait: "The wait is long at the moment. You can keep your place, or reach these services now:",
    queue_full: "Lots of people are waiting right now. Please try again in a few minutes, or reach:",
    blocked: "This chat service isn't available to you at the moment. You can still reach:",
    requested: "You can reach these services at any time:",
  },
  resourcesAnnounce: "Help is available: helplines are shown in the chat.",
  call: (phone) => `Call ${phone}`,
  text: (sms) => `Text ${sms}`,
  website: "Website",
  hideResources: "Hide helplines",
  noHelplines: "Helplines can't be shown right now. In an emergency, call your local emergency number.",
  queueFull: "Lots of people are waiting right now. Please try again in a few minutes.",
  blocked: "This chat service isn't available to you at the moment.",
  replaced: "This chat was opened in another tab or window.",
  refused: "The chat service can't be reached right now. Please try again later.",
  tryAgain: "Try again",
  topicUnavailable: "One of those topics isn't offered here. Please choose again.",
  messageTooLong: "That message is too long: please split it into shorter ones.",
};

/** The strings with the host page's overrides (window.chatserverStrings) applied. */
export function strings(overrides = {}) {
  const out = { ...STRINGS };
  for (const [key, value] of Object.entries(overrides || {})) {
    if (key in STRINGS && typeof value === typeof STRINGS[key]) out[key] = value;
  }
  return out;
}
