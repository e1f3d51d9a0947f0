// Coachbot sandbox page: phones side by side, driven through the emulator, with time travel.
// Plain JavaScript, no build step, nothing loaded from elsewhere. Texts from chats are only
// ever put into the page with textContent, never as HTML.
"use strict";

const S = {
  seq: 0,
  version: -1,
  state: null,
  phones: new Map(), // user_id -> {el, data, replyTo, messages, lastId}
  travelling: false,
};

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function api(path, body) {
  const options = body === undefined
    ? {}
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
  }
  return data;
}

function toast(text, kind) {
  const node = el("div", `toast${kind ? " " + kind : ""}`, text);
  $("#toasts").append(node);
  setTimeout(() => node.remove(), kind === "error" ? 6000 : 3500);
}

// ---- clock and time travel ----------------------------------------------------------------

function showState(state) {
  S.state = state;
  $("#clock-time").textContent = state.time.clock;
  $("#clock-day").textContent = state.time.day;
  $("#clock-time").dataset.at = state.time.at;
  showComing(state.next, state.coming || []);
  showQuiet(state.quiet);
  for (const phone of state.phones) ensurePhone(phone);
}

const NAMES = {
  checkin: "weekly question",
  reminder_day_before: "reminder (day before)",
  reminder_soon: "reminder (soon)",
  attendance: "attendance question",
  followup: "follow-up question",
  ladder: "ladder question",
  resume: "pause ends",
  message: "message",
};

function whatName(item) {
  return NAMES[item.what] || item.what.replace(/_/g, " ");
}

// One line for a coming or waiting item, without its time.
function describeComing(item) {
  const what = `${whatName(item)} for ${item.who}`;
  const text = item.text ? `: “${item.text}”` : "";
  const expires = item.expires ? `; expires ${item.expires}` : "";
  switch (item.why) {
    case "quiet_hours": return `${what}${text} (held: quiet hours)`;
    case "held": return `${what}${text} (held until the coach can be reached)`;
    case "open": return `${what} is open: no answer yet${item.label ? " (closes then)" : ""}`;
    case "set_aside": return `${what}: set aside, asked again once the open question is answered or closes${expires}`;
    case "queued": return `${what}: queued behind the open question${expires}`;
    default: return `${what}${text}`;
  }
}

function showComing(next, coming) {
  $("#next-due").textContent = next
    ? `Next: ${next.label} · ${describeComing(next)}`
    : "Nothing scheduled";
  const waiting = coming.filter((c) => c.why === "set_aside" || c.why === "queued");
  const open = coming.filter((c) => c.why === "open");
  let note = "";
  if (waiting.length) {
    const first = waiting[0];
    note = ` · waiting: ${whatName(first)} for ${first.who} (${first.why === "queued" ? "queued" : "set aside"})`;
    if (waiting.length > 1) note += ` +${waiting.length - 1} more`;
  } else if (open.length) {
    note = ` · open: ${whatName(open[0])} for ${open[0].who}`;
    if (open.length > 1) note += ` +${open.length - 1} more`;
  }
  $("#waiting-note").textContent = note;
  const list = $("#coming-list");
  list.replaceChildren();
  for (const item of coming) {
    const li = el("li", item.why ? `why-${item.why}` : null);
    const when = item.label || (item.why === "held" ? "on hold" : "waiting");
    li.append(el("span", "when", when), el("span", "what", describeComing(item)));
    li.dir = "auto";
    list.append(li);
  }
  if (!coming.length) list.append(el("li", "empty", "Nothing is scheduled and no question waits for an answer."));
}

function showQuiet(quiet) {
  const bar = $("#quiet");
  bar.hidden = !(quiet && quiet.active);
  if (bar.hidden) return;
  $("#quiet-text").textContent =
    `Quiet hours (${quiet.end}–${quiet.start}): the bot sends nothing by itself until ${quiet.until}.`;
  $("#quiet-more").textContent =
    "Reminders, weekly questions and notes to the coach wait; answers to what you do still come at once.";
  $("#quiet-go").textContent = `⏩ To ${quiet.until}`;
}

async function travel(step) {
  if (S.travelling) return;
  S.travelling = true;
  const buttons = document.querySelectorAll("button[data-step]");
  buttons.forEach((b) => { b.disabled = true; });
  $(".clock").classList.add("moving");
  try {
    const result = await api("/api/travel", { step });
    showState(result.state);
    if (result.note) {
      toast(result.note === "nothing is scheduled" ? "Nothing is scheduled: nothing to jump to." : result.note);
    } else {
      const n = result.messages;
      toast(`${result.state.time.day}, ${result.state.time.clock}: ${n} new message${n === 1 ? "" : "s"}`);
    }
  } catch (err) {
    toast(err.message, "error");
  } finally {
    S.travelling = false;
    buttons.forEach((b) => { b.disabled = false; });
    $(".clock").classList.remove("moving");
  }
}

// ---- phones -------------------------------------------------------------------------------

function roleLabel(data) {
  if (!data.role) return "not linked to the bot";
  const parts = [data.role];
  if (data.language_name) parts.push(data.language_name);
  if (data.status && data.status !== "active") parts.push(data.status);
  return parts.join(" · ");
}

function ensurePhone(data) {
  let phone = S.phones.get(data.user_id);
  if (!phone) {
    const node = $("#phone-template").content.firstElementChild.cloneNode(true);
    node.dataset.userId = data.user_id;
    node.dataset.testid = `phone-${data.user_id}`;
    phone = { el: node, data, replyTo: null, messages: [], lastId: 0, loaded: false, stick: true };
    S.phones.set(data.user_id, phone);
    wirePhone(phone);
    $("#phones").append(node);
    refreshChat(data.user_id);
  }
  phone.data = data;
  const head = phone.el;
  $(".phone-name", head).textContent = data.name;
  $(".phone-name", head).dir = "auto";
  $(".phone-sub", head).textContent = roleLabel(data);
  const avatar = $(".avatar", head);
  avatar.textContent = (data.name || "?").trim().charAt(0).toUpperCase();
  avatar.className = `avatar ${data.role || "none"}`;
  return phone;
}

function wirePhone(phone) {
  const node = phone.el;
  const form = $(".composer", node);
  const input = $("textarea", form);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendText(phone);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      sendText(phone);
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  });

  $(".attach", node).addEventListener("click", () => togglePopup(phone, ".attach-menu"));
  $(".menu-button", node).addEventListener("click", () => {
    fillCommands(phone);
    togglePopup(phone, ".command-menu");
  });
  $(".attach-menu", node).addEventListener("click", (event) => {
    const button = event.target.closest("button[data-attach]");
    if (!button) return;
    closePopups(phone);
    const kind = button.dataset.attach;
    if (kind === "file") $(".file-input", node).click();
    if (kind === "example") sendPhoto(phone, null);
    if (kind === "voice") act(phone, "voice", { duration: 4 });
  });
  $(".file-input", node).addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    if (file.size > 10 * 1024 * 1024) {
      toast("A photo may be at most 10 MB.", "error");
      return;
    }
    const reader = new FileReader();
    reader.onload = () => sendPhoto(phone, String(reader.result).split(",", 2)[1]);
    reader.readAsDataURL(file);
  });
  $(".reply-cancel", node).addEventListener("click", () => setReply(phone, null));
  const chat = $(".chat", node);
  chat.addEventListener("scroll", () => {
    phone.stick = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 60;
  });
  node.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closePopups(phone);
      setReply(phone, null);
    }
  });
  node.dataset.ready = "1";
}

function togglePopup(phone, selector) {
  const popup = $(selector, phone.el);
  const open = popup.hidden;
  closePopups(phone);
  popup.hidden = !open;
}

function closePopups(phone) {
  phone.el.querySelectorAll(".popup").forEach((p) => { p.hidden = true; });
}

function fillCommands(phone) {
  const menu = $(".command-menu", phone.el);
  menu.replaceChildren();
  const commands = phone.data.commands || [];
  if (!commands.length) menu.append(el("div", "empty", "The bot set no command menu."));
  for (const command of commands) {
    const button = el("button");
    button.type = "button";
    button.append(el("span", "c-name", `/${command.command}`), el("span", "c-desc", command.description));
    button.dir = "auto";
    button.addEventListener("click", () => {
      closePopups(phone);
      act(phone, "text", { text: `/${command.command}` });
    });
    menu.append(button);
  }
}

function setReply(phone, message) {
  phone.replyTo = message;
  const bar = $(".reply-bar", phone.el);
  bar.hidden = !message;
  if (message) {
    $(".reply-label", bar).textContent = `Reply to ${senderName(phone, message)}`;
    $(".reply-text", bar).textContent = snippet(message);
    $("textarea", phone.el).focus();
  }
}

async function act(phone, what, body) {
  try {
    return await api(`/api/phones/${phone.data.user_id}/${what}`, body);
  } catch (err) {
    toast(err.message, "error");
    return null;
  }
}

async function sendText(phone) {
  const input = $("textarea", phone.el);
  const text = input.value.trim();
  if (!text) return;
  const body = { text };
  if (phone.replyTo) body.reply_to = phone.replyTo.message_id;
  const done = await act(phone, "text", body);
  if (done) {
    input.value = "";
    input.style.height = "auto";
    setReply(phone, null);
  }
}

async function sendPhoto(phone, dataBase64) {
  const input = $("textarea", phone.el);
  const body = { caption: input.value.trim() };
  if (dataBase64) body.data_base64 = dataBase64;
  if (phone.replyTo) body.reply_to = phone.replyTo.message_id;
  const done = await act(phone, "photo", body);
  if (done) {
    input.value = "";
    setReply(phone, null);
  }
}

async function press(phone, message, button, node) {
  node.disabled = true;
  const result = await act(phone, "press", { message_id: message.message_id, data: button.callback_data });
  node.disabled = false;
  const answer = result && result.answer;
  if (answer && answer.text) phoneToast(phone, answer.text);
}

function phoneToast(phone, text) {
  const node = $(".phone-toast", phone.el);
  node.textContent = text;
  node.dir = "auto";
  node.hidden = false;
  clearTimeout(phone.toastTimer);
  phone.toastTimer = setTimeout(() => { node.hidden = true; }, 2500);
}

// ---- chats --------------------------------------------------------------------------------

async function refreshChat(userId) {
  const phone = S.phones.get(userId);
  if (!phone) return;
  let messages;
  try {
    messages = await api(`/api/chats/${userId}/messages`);
  } catch (err) {
    return;
  }
  const chat = $(".chat", phone.el);
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 60;
  const newest = messages.length ? messages[messages.length - 1].message_id : 0;
  const grew = newest > phone.lastId;
  phone.messages = messages;
  const box = $(".msgs", phone.el);
  box.replaceChildren();
  let day = null;
  for (const message of messages) {
    if (message.sandbox && message.sandbox.day !== day) {
      day = message.sandbox.day;
      const sep = el("div", "day-sep");
      sep.append(el("span", null, day));
      box.append(sep);
    }
    const node = renderMessage(phone, message);
    if (phone.loaded && message.message_id > phone.lastId) node.classList.add("flash");
    box.append(node);
  }
  if (atBottom || grew || !phone.loaded) {
    chat.scrollTop = chat.scrollHeight;
    phone.stick = true; // photos that load later keep it at the bottom (see renderMessage)
  }
  phone.lastId = Math.max(phone.lastId, newest);
  phone.loaded = true;
  phone.el.dataset.messages = String(messages.length);
}

function keepAtBottom(phone) {
  if (!phone.stick) return;
  const chat = $(".chat", phone.el);
  chat.scrollTop = chat.scrollHeight;
}

function senderName(phone, message) {
  const from = message.from || {};
  if (from.is_bot) return "Coachbot";
  return from.first_name || phone.data.name;
}

function snippet(message) {
  if (message.text) return message.text;
  if (message.photo) return `🖼️ Photo${message.caption ? ": " + message.caption : ""}`;
  if (message.voice) return "🎤 Voice message";
  if (message.document) return `📄 ${message.document.file_name || "File"}`;
  return "Message";
}

function renderMessage(phone, message) {
  const fromBot = Boolean(message.outgoing);
  const node = el("div", `msg ${fromBot ? "from-bot" : "from-me"}`);
  node.dataset.messageId = message.message_id;
  const bubble = el("div", "bubble");
  node.append(bubble);

  const replied = message.reply_to_message;
  if (replied) {
    const quote = el("div", "quote");
    quote.append(el("div", "q-name", senderName(phone, replied)));
    const qText = el("div", "q-text", snippet(replied));
    qText.dir = "auto";
    quote.append(qText);
    quote.addEventListener("click", () => {
      const target = phone.el.querySelector(`.msg[data-message-id="${replied.message_id}"]`);
      if (target) {
        target.scrollIntoView({ block: "center", behavior: "smooth" });
        target.classList.remove("flash");
        void target.offsetWidth;
        target.classList.add("flash");
      }
    });
    bubble.append(quote);
  }

  if (message.photo && message.photo.length) {
    const size = message.photo[message.photo.length - 1];
    const img = el("img", "photo");
    // The size is known before the bytes arrive: the bubble has its height at once, so
    // scrolling to the newest message is right before the picture has loaded.
    if (size.width && size.height) {
      img.width = size.width;
      img.height = size.height;
    }
    img.alt = message.caption || "photo";
    img.loading = "lazy";
    img.addEventListener("load", () => keepAtBottom(phone));
    img.addEventListener("error", () => {
      img.replaceWith(el("div", "photo-gone", "🖼️ Photo (not kept when the sandbox restarted)"));
      keepAtBottom(phone);
    });
    img.src = `/api/files/${encodeURIComponent(size.file_id)}`;
    bubble.append(img);
  }
  if (message.voice) {
    const voice = el("div", "voice");
    const secs = message.voice.duration || 0;
    voice.append(el("span", null, "🎤"), el("span", "wave", "▁▃▅▂▆▃▁▅▂▃"),
      el("span", null, `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`));
    bubble.append(voice);
  }
  if (message.document) {
    bubble.append(el("div", "document", `📄 ${message.document.file_name || "file"}`));
  }
  let body = message.text !== undefined ? message.text : message.caption;
  let entities = message.text !== undefined ? message.entities : message.caption_entities;
  if (!fromBot && body && /^\/start\s+\S+$/.test(body)) {
    // Opening a deep link sends "/start <token>", but Telegram shows only "/start".
    body = "/start";
    entities = [{ type: "bot_command", offset: 0, length: 6 }];
  }
  if (body) {
    const text = el("div", "text");
    text.dir = "auto";
    renderEntities(phone, text, body, entities || []);
    bubble.append(text);
  }
  const meta = el("span", "meta");
  const time = message.sandbox ? message.sandbox.time : "";
  // Telegram marks a message "edited" when its text changed, not when a bot only
  // changed its buttons (which is all this bot does), so only people's edits are marked.
  const edited = message.edit_date && !fromBot;
  meta.textContent = `${edited ? "edited " : ""}${time}${fromBot ? "" : " ✓✓"}`;
  if (message.sandbox) meta.title = `${message.sandbox.day} ${message.sandbox.time} (sandbox time)`;
  const textNode = $(".text", bubble);
  (textNode || bubble).append(meta);

  const reply = el("button", "reply-btn", "↩");
  reply.type = "button";
  reply.title = "Reply";
  reply.addEventListener("click", () => setReply(phone, message));
  bubble.append(reply);

  const rows = (message.reply_markup && message.reply_markup.inline_keyboard) || [];
  if (rows.length) {
    const kb = el("div", "kb");
    for (const row of rows) {
      const line = el("div", "kb-row");
      for (const button of row) {
        const b = el("button", null, button.text);
        b.type = "button";
        b.dir = "auto";
        if (button.callback_data !== undefined) {
          b.addEventListener("click", () => press(phone, message, button, b));
        } else if (button.url) {
          b.title = button.url;
          b.addEventListener("click", () => openLink(button.url));
        }
        line.append(b);
      }
      kb.append(line);
    }
    node.append(kb);
  }
  return node;
}

// Entities use UTF-16 offsets, as JavaScript strings do.
function renderEntities(phone, target, text, entities) {
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  let at = 0;
  for (const entity of sorted) {
    if (entity.offset < at) continue; // nested entities: the outer one wins
    if (entity.offset > at) target.append(document.createTextNode(text.slice(at, entity.offset)));
    const part = text.slice(entity.offset, entity.offset + entity.length);
    target.append(entityNode(phone, entity, part));
    at = entity.offset + entity.length;
  }
  if (at < text.length) target.append(document.createTextNode(text.slice(at)));
}

function entityNode(phone, entity, part) {
  switch (entity.type) {
    case "url":
    case "text_link": {
      const url = entity.type === "url" ? part : entity.url;
      const link = el("a", null, part);
      link.dir = "ltr"; // an isolated run: a link keeps its shape inside right-to-left text
      link.href = url.match(/^[a-z]+:/i) ? url : `http://${url}`;
      if (inviteToken(url)) {
        link.className = "invite";
        link.title = "Open this invite link on a new phone";
      }
      link.addEventListener("click", (event) => {
        event.preventDefault();
        openLink(url);
      });
      return link;
    }
    case "bot_command": {
      const link = el("a", "cmd", part);
      link.dir = "ltr";
      link.href = "#";
      link.title = "Send this command";
      link.addEventListener("click", (event) => {
        event.preventDefault();
        act(phone, "text", { text: part });
      });
      return link;
    }
    case "bold": return el("b", null, part);
    case "italic": return el("i", null, part);
    case "underline": return el("u", null, part);
    case "strikethrough": return el("s", null, part);
    case "code": return el("code", null, part);
    case "pre": return el("pre", null, part);
    default: return document.createTextNode(part);
  }
}

function inviteToken(url) {
  const match = /[?&]start=([A-Za-z0-9_-]{1,64})/.exec(url);
  return match ? match[1] : null;
}

function openLink(url) {
  if (inviteToken(url)) {
    openAddDialog(url);
    return;
  }
  // Only links to this computer are opened: the sandbox never reaches the internet.
  toast(`Link: ${url} (not opened in the sandbox)`);
}

// ---- adding phones --------------------------------------------------------------------------

async function openAddDialog(link) {
  const dialog = $("#add-dialog");
  const form = $("#add-form");
  $("#add-error").textContent = "";
  form.elements.kind.value = "participant";
  form.className = "participant";
  $("#invite-paste").value = "";
  const languages = (S.state && S.state.languages) || [];
  const langSelect = $("#phone-lang");
  langSelect.replaceChildren();
  for (const lang of languages) {
    const option = el("option", null, `${lang.name} (${lang.code})`);
    option.value = lang.code;
    langSelect.append(option);
  }
  let invites = [];
  try {
    invites = await api("/api/invites");
  } catch (err) {
    invites = [];
  }
  const select = $("#invite-select");
  select.replaceChildren();
  const open = invites.filter((i) => i.status === "open");
  if (!invites.length) {
    const none = el("option", null, "No invite links yet: use /newparticipant on a coach's phone");
    none.value = "";
    select.append(none);
  }
  for (const invite of invites) {
    const language = languages.find((l) => l.code === invite.language);
    const label = `${invite.name}${language ? " — " + language.name : ""} (${invite.role}, ${invite.status})`;
    const option = el("option", null, label);
    option.value = invite.token;
    option.disabled = invite.status !== "open";
    option.dataset.name = invite.name;
    option.dataset.language = invite.language || "";
    select.append(option);
  }
  const wanted = link ? inviteToken(link) : null;
  const chosen = invites.find((i) => i.token === wanted) || open[0];
  if (wanted && !invites.find((i) => i.token === wanted)) $("#invite-paste").value = link;
  if (chosen) select.value = chosen.token;
  inviteChosen();
  if (!dialog.open) dialog.showModal();
  $("#add-ok").focus();
}

function inviteChosen() {
  const option = $("#invite-select").selectedOptions[0];
  if (!option || !option.value) {
    $("#phone-name").value = "";
    $("#phone-lang").value = "nl";
    return;
  }
  $("#phone-name").value = option.dataset.name || "";
  $("#phone-lang").value = option.dataset.language || "nl";
}

async function submitAdd(event) {
  event.preventDefault();
  const form = $("#add-form");
  const kind = form.elements.kind.value;
  const body = {
    kind,
    name: $("#phone-name").value.trim(),
    language_code: $("#phone-lang").value,
  };
  if (kind === "participant") {
    body.link = $("#invite-paste").value.trim() || $("#invite-select").value;
    if (!body.link) {
      $("#add-error").textContent = "Choose or paste an invite link first.";
      return;
    }
  }
  if (kind === "coach" && !body.name) body.name = "Coach";
  try {
    const result = await api("/api/phones", body);
    $("#add-dialog").close();
    await refreshState();
    const phone = S.phones.get(result.user_id);
    if (phone) {
      phone.el.classList.add("new");
      phone.el.scrollIntoView({ inline: "center", behavior: "smooth" });
    }
  } catch (err) {
    $("#add-error").textContent = err.message;
  }
}

// ---- sync with the server -------------------------------------------------------------------

async function refreshState() {
  const state = await api("/api/state");
  showState(state);
  S.version = state.version;
  return state;
}

async function poll() {
  for (;;) {
    try {
      const r = await api(`/api/events?seq=${S.seq}&version=${S.version}&timeout=25`);
      S.seq = r.seq;
      if (r.version !== S.version || r.chats.length) {
        await refreshState();
        S.version = r.version > S.version ? r.version : S.version;
      }
      for (const chatId of r.chats) await refreshChat(chatId);
    } catch (err) {
      await sleep(1500);
    }
  }
}

async function start() {
  document.querySelectorAll("button[data-step]").forEach((b) => {
    b.addEventListener("click", () => travel(b.dataset.step));
  });
  $("#add-phone").addEventListener("click", () => openAddDialog(null));
  $("#add-cancel").addEventListener("click", () => $("#add-dialog").close());
  $("#add-form").addEventListener("submit", submitAdd);
  $("#add-form").addEventListener("change", (event) => {
    if (event.target.name === "kind") $("#add-form").className = event.target.value;
    if (event.target.id === "invite-select") inviteChosen();
  });
  const guide = $("#guide");
  if (localStorage.getItem("coachbot-sandbox-guide") === "hidden") guide.hidden = true;
  $("#guide-close").addEventListener("click", () => {
    guide.hidden = true;
    localStorage.setItem("coachbot-sandbox-guide", "hidden");
  });
  $("#show-guide").addEventListener("click", () => {
    guide.hidden = !guide.hidden;
    localStorage.setItem("coachbot-sandbox-guide", guide.hidden ? "hidden" : "shown");
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".popup, .attach, .menu-button")) {
      S.phones.forEach((phone) => closePopups(phone));
    }
  });
  for (;;) {
    try {
      const state = await refreshState();
      S.seq = state.seq;
      break;
    } catch (err) {
      await sleep(1000);
    }
  }
  document.body.dataset.ready = "1";
  poll();
}

start();
