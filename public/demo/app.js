// The Dialtone demo: sign in as any user, call, ring, talk with real WebRTC media.
// A plain ES module with no build step: everything it needs is the SDK bundle and the browser.
import { CallMedia, DialtoneClient } from '/sdk/dialtone-client.js';

const $ = (id) => document.getElementById(id);

/** Ring timeout when a call does not say (SPEC §4: 30 s). */
const DEFAULT_RING_SECONDS = 30;

/**
 * What the page knows. `call` is the call this page shows (outgoing, or in it); `incoming` a call
 * ringing for this user that was not answered yet. Microphone and camera belong to the call, so a
 * new call always starts with both on.
 */
const state = { client: undefined, call: undefined, media: undefined, incoming: undefined, accepting: false, dialing: false };

// ---------------------------------------------------------------------------------------------
// Words: every outcome and every error as a sentence a person would say.

/** Why a call ended, from this user's side (`me`) of it. */
function endSentence(e, me, call) {
  const u = e.userId;
  switch (e.reason) {
    case 'hangup':
      return u === me ? 'You hung up' : `Call ended by ${u}`;
    case 'reject':
      return u === me ? 'You declined the call' : `${u} declined the call`;
    case 'noResponse':
      return u === me ? `Missed call from ${call?.callerId ?? 'someone'}` : `No answer from ${u}`;
    case 'lineBusy':
      return u === me ? 'You declined the call' : `${u} is busy`;
    case 'canceled':
      return u === me ? 'You cancelled the call' : `Missed call from ${u}`;
    case 'offline':
      return `${u === me ? 'Your' : `${u}'s`} connection was lost`;
    case 'otherDeviceAccepted':
      return 'Answered on another of your devices';
    case 'otherDeviceReject':
      return 'Declined on another of your devices';
    case 'endByServer':
      return 'The call was ended by the service';
    default:
      return 'Call ended';
  }
}

/**
 * An error as a sentence: the SDK's codes (docs/CLIENT.md) and the browser's media errors. The
 * server's own message (which names argument paths) is for developers and never shown.
 * `what` gives sentences that depend on what was being done.
 */
function human(err, what = {}) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'The browser did not allow the camera or microphone. Allow them for this page and try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera or microphone was found.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera or microphone is in use by another app.';
  }
  switch (err?.code) {
    case -1202:
      return what.invalid ?? 'That was not a valid request.';
    case -1203:
      return what.notAllowed ?? 'That is not possible right now: the call may have ended.';
    case -1204:
      return 'You are already in a call.';
    case -1406:
      return 'No connection to the server. Check your network and try again.';
    case -1201:
      return 'You are signed out. Sign in again.';
    case 60007:
      return 'Too much at once. Wait a moment and try again.';
    case 70001:
      return 'Your sign-in has expired. Sign in again.';
  }
  if (typeof err?.code === 'number' && err.code >= 70000 && err.code < 71000) return 'Sign-in was refused. Sign in again.';
  return what.fallback ?? 'Something went wrong. Please try again.';
}

const USER_ID_SENTENCE = 'A user id is 1 to 64 characters, with no spaces or commas.';

/** A duration in seconds as people say it on a phone: 0:07, 2:05, 1:02:03. */
function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** A duration in words: "45 seconds", "2 min 5 s", "1 h 3 min". */
function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** When, in words: "Today at 14:03", "Yesterday at 09:10", "Mon 3 Nov at 18:00". */
function when(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((day(new Date()) - day(d)) / 86_400_000);
  if (days === 0) return `Today at ${time}`;
  if (days === 1) return `Yesterday at ${time}`;
  return `${d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' })} at ${time}`;
}

/** A call record (SPEC §2.3) as this user would describe it. */
function describeRecord(r, me) {
  const outgoing = r.Caller_Account === me;
  const others = r.CalleeList_Account.filter((u) => u !== me);
  const connected = r.AcceptTime > 0;
  let result;
  let tone = 'ok';
  if (connected) result = duration(r.EndTime - r.AcceptTime);
  else if (outgoing) {
    result = { Reject: 'Declined', NotAnswer: 'No answer', CallBusy: 'Busy', Cancel: 'Cancelled', Offline: 'Not connected' }[r.CallResult] ?? 'Not connected';
    tone = 'muted';
  } else if (r.CallResult === 'Reject' || r.CallResult === 'CallBusy') {
    result = r.CallType === 'SingleCall' ? 'You declined' : 'Not answered';
    tone = 'muted';
  } else {
    result = 'Missed';
    tone = 'missed';
  }
  if (connected && (r.CallResult === 'Interrupt' || r.CallResult === 'Offline')) result += ', connection lost';
  const kind = `${outgoing ? 'Outgoing' : 'Incoming'} ${r.MediaType === 'Video' ? 'video' : 'audio'}${r.CallType === 'MultiCall' ? ' group' : ''} call`;
  return { who: others.join(', ') || me, first: others[0] ?? me, kind, when: when(r.StartTime), result, tone, outgoing };
}

// ---------------------------------------------------------------------------------------------
// Sounds: ringtone and ringback made with Web Audio (nothing downloaded). Which one plays follows
// the screen (see show), so every way out of ringing stops it.

const tones = {
  ctx: undefined,
  kind: '',
  stopCurrent: undefined,
  /** Plays `kind` ('ringtone' for the callee, 'ringback' for the caller) or, with '', nothing. */
  play(kind) {
    if (this.kind === kind) return;
    this.stop();
    if (!kind) return;
    try {
      this.ctx ??= new AudioContext();
      // Suspended until the page has had a click (autoplay rules); resume when allowed.
      this.ctx.resume().catch(() => undefined);
    } catch {
      return;
    }
    const ctx = this.ctx;
    const gain = ctx.createGain();
    gain.gain.value = 0;
    gain.connect(ctx.destination);
    // Ringback: the two-tone 440 + 480 Hz, 2 s on, 4 s off. Ringtone: a brighter double chirp.
    const pattern =
      kind === 'ringback'
        ? { freqs: [440, 480], level: 0.08, bursts: [[0, 2]], cycle: 6 }
        : { freqs: [659.25, 880], level: 0.12, bursts: [[0, 0.4], [0.6, 1.0]], cycle: 3 };
    const oscillators = pattern.freqs.map((f) => {
      const o = ctx.createOscillator();
      o.frequency.value = f;
      o.connect(gain);
      o.start();
      return o;
    });
    const schedule = () => {
      const t0 = ctx.currentTime + 0.02;
      for (const [on, off] of pattern.bursts) {
        gain.gain.setValueAtTime(0, t0 + on);
        gain.gain.linearRampToValueAtTime(pattern.level, t0 + on + 0.03);
        gain.gain.setValueAtTime(pattern.level, t0 + off - 0.03);
        gain.gain.linearRampToValueAtTime(0, t0 + off);
      }
    };
    schedule();
    const timer = setInterval(schedule, pattern.cycle * 1000);
    this.stopCurrent = () => {
      clearInterval(timer);
      gain.gain.cancelScheduledValues(0);
      for (const o of oscillators) o.stop();
      gain.disconnect();
    };
    this.kind = kind;
    document.body.dataset.tone = kind;
  },
  stop() {
    this.stopCurrent?.();
    this.stopCurrent = undefined;
    this.kind = '';
    delete document.body.dataset.tone;
  },
};
addEventListener('pagehide', () => tones.stop());

// ---------------------------------------------------------------------------------------------
// Screens.

/** One screen at a time: signed-out, idle, incoming, outgoing, incall. */
function show(screen) {
  const before = document.body.dataset.state;
  document.body.dataset.state = screen;
  tones.play(screen === 'incoming' ? 'ringtone' : screen === 'outgoing' && state.call?.outgoing ? 'ringback' : '');
  tick();
  // Keyboard users land on what the new screen is for.
  if (before !== screen) {
    const target = { 'signed-out': 'userid', idle: 'callees', incoming: 'accept', outgoing: 'hangup', incall: 'hangup' }[screen];
    if (target && document.activeElement?.id !== target) $(target)?.focus({ preventScroll: true });
  }
}

/** A sentence in the status line; `kind` 'error' shows it as one. */
function status(text, kind = 'info') {
  $('status').textContent = text;
  $('status').dataset.kind = text ? kind : '';
}

/** The countdowns and the call timer, once a second while something rings or talks. */
function tick() {
  const screen = document.body.dataset.state;
  const now = Date.now();
  if (screen === 'incoming' && state.incoming) {
    const left = Math.ceil((state.incoming.ringUntil - now) / 1000);
    $('incoming-countdown').textContent = `Ringing · ${Math.max(0, left)} s`;
  }
  const call = state.call;
  const current = currentOf(call);
  if (call && !call.connected) {
    const left = Math.max(0, Math.ceil((call.ringUntil - now) / 1000));
    $('call-timer').textContent = '';
    $('call-countdown').textContent = call.outgoing ? `Ringing… ${left} s` : 'Connecting…';
  } else if (call) {
    const since = current?.acceptTime || call.connectedAt || now;
    $('call-timer').textContent = clock((now - since) / 1000);
    const waiting = (current?.members ?? []).filter((m) => m.status === 'Waiting').length;
    $('call-countdown').textContent = waiting ? ` · ringing ${waiting} more` : '';
  } else {
    $('call-timer').textContent = '';
    $('call-countdown').textContent = '';
  }
}
setInterval(tick, 1000);

/** The client's current call when it is the one this page shows. */
function currentOf(call) {
  const current = state.client?.currentCall;
  return call && current?.callId === call.callId ? current : undefined;
}

// ---------------------------------------------------------------------------------------------
// Avatars and tiles.

function hueOf(userId) {
  let hue = 0;
  for (const ch of userId) hue = (hue * 31 + ch.codePointAt(0)) % 360;
  return hue;
}

/** The user's initial on a colour of their own. */
function initial(userId, className = 'initial') {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = [...userId][0]?.toUpperCase() ?? '?';
  span.style.background = `hsl(${hueOf(userId)} 55% 45%)`;
  return span;
}

/** What stands in for a picture: the initial, and the user's id. */
function avatar(userId, label) {
  const div = document.createElement('div');
  div.className = 'avatar';
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = label;
  div.append(initial(userId), name);
  return div;
}

const ICON_MIC_OFF = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/><path class="slash" d="M4 4l16 16"/></svg>';
const ICON_CAM_OFF = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><rect x="3" y="7" width="12" height="10" rx="2"/><path d="M15 11l6-3v8l-6-3z"/><path class="slash" d="M4 4l16 16"/></svg>';

function remoteTile(userId) {
  return document.querySelector(`figure.remote[data-user="${CSS.escape(userId)}"]`);
}

function tile(userId) {
  let fig = remoteTile(userId);
  if (!fig) {
    fig = document.createElement('figure');
    fig.className = 'tile remote';
    fig.dataset.user = userId;
    fig.innerHTML =
      `<video autoplay playsinline></video><figcaption></figcaption><span class="badge mic-off">${ICON_MIC_OFF}<span>muted</span></span><span class="badge cam-off">${ICON_CAM_OFF}<span>camera off</span></span><span class="waiting-label">Ringing…</span>`;
    fig.querySelector('figcaption').textContent = userId;
    fig.append(avatar(userId, userId));
    $('tiles').append(fig);
    layout();
  }
  return fig;
}

/** One other member: a large tile with this user's picture-in-picture; more: a grid. */
function layout() {
  const remotes = document.querySelectorAll('figure.remote').length;
  $('tiles').dataset.layout = remotes <= 1 ? 'pip' : 'grid';
  $('tiles').dataset.count = String(remotes + 1);
}

/**
 * Draws the call from the client's current call: a tile per other member (ringing ones say so),
 * their camera and microphone, and the title naming who is in it now.
 */
function syncCall() {
  const call = state.call;
  if (!call || !state.client) return;
  const me = state.client.userId;
  const current = currentOf(call);
  if (current) {
    const others = current.members.filter((m) => m.userId !== me);
    for (const m of others) {
      const fig = tile(m.userId);
      fig.classList.toggle('waiting', m.status === 'Waiting');
      fig.classList.toggle('camera-off', m.camera === false);
      fig.dataset.microphone = m.microphone === false ? 'off' : 'on';
    }
    for (const fig of document.querySelectorAll('figure.remote')) {
      if (!others.some((m) => m.userId === fig.dataset.user)) fig.remove();
    }
    call.peers = others.map((m) => m.userId);
    if (current.mediaType !== call.mediaType) setMediaType(current.mediaType);
    if (others.length > 1) call.group = true;
  }
  layout();
  const names = call.peers.join(', ');
  $('call-title').textContent = `${call.mediaType} call${names ? ` with ${names}` : ''}`;
  document.title = `${names || 'Call'} · Dialtone`;
  updateControls();
  tick();
}

/** The call is (now) audio or video: the page follows (avatars for everyone in an audio call). */
function setMediaType(mediaType) {
  if (!state.call) return;
  state.call.mediaType = mediaType;
  document.body.dataset.media = mediaType;
  syncCall();
}

/** The controls that fit the call and this user's own microphone and camera in it. */
function updateControls() {
  const call = state.call;
  const switchable = call && call.connected && !call.group;
  $('switch-audio').hidden = !(switchable && call.mediaType === 'Video');
  $('switch-video').hidden = !(switchable && call.mediaType === 'Audio');
  const micOn = call?.micOn ?? true;
  const camOn = call?.camOn ?? true;
  $('mute').querySelector('.label').textContent = micOn ? 'Mute' : 'Unmute';
  $('mute').setAttribute('aria-pressed', String(!micOn));
  $('camera').querySelector('.label').textContent = camOn ? 'Camera off' : 'Camera on';
  $('camera').setAttribute('aria-pressed', String(!camOn));
  const local = document.querySelector('figure.local');
  local.classList.toggle('camera-off', !camOn);
  local.dataset.microphone = micOn ? 'on' : 'off';
}

// ---------------------------------------------------------------------------------------------
// Recent calls, from the server's records.

async function refreshRecent() {
  const client = state.client;
  if (!client) return;
  let calls;
  try {
    calls = await client.getRecentCalls({ limit: 20 });
  } catch {
    return; // The list stays as it was; the next call refreshes it.
  }
  if (state.client !== client) return;
  const list = $('recent-list');
  list.replaceChildren(
    ...calls.map((r) => {
      const d = describeRecord(r, client.userId);
      const li = document.createElement('li');
      li.dataset.callId = r.CallId;
      li.dataset.result = r.CallResult;
      li.className = `recent ${d.tone}`;
      const main = document.createElement('div');
      main.className = 'recent-main';
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = d.who;
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = `${d.outgoing ? '↗' : '↙'} ${d.kind} · ${d.when}`;
      main.append(who, meta);
      const result = document.createElement('span');
      result.className = 'result';
      result.textContent = d.result;
      li.append(initial(d.first, 'initial small'), main, result);
      return li;
    }),
  );
  $('recent-empty').hidden = calls.length > 0;
  list.dataset.loaded = String(Date.now());
}

// ---------------------------------------------------------------------------------------------
// Signing in and out.

async function signIn(userId) {
  const res = await fetch(`/dev/usersig?userId=${encodeURIComponent(userId)}`);
  if (res.status === 400) throw Object.assign(new Error('bad user id'), { sentence: USER_ID_SENTENCE });
  if (!res.ok) throw Object.assign(new Error('sign-in refused'), { sentence: 'This server does not offer demo sign-in.' });
  const { sdkAppId, userSig } = await res.json();
  let device = sessionStorage.getItem('dialtone-device');
  if (!device) sessionStorage.setItem('dialtone-device', (device = `web-${Math.random().toString(36).slice(2, 10)}`));
  const client = await DialtoneClient.init({ server: location.origin, sdkAppId, userId, userSig, platform: 'Web', device });
  state.client = client;
  // A reload signs this tab in again as the same user on the same device, and resumes its call.
  sessionStorage.setItem('dialtone-user', userId);
  document.querySelector('figure.local .avatar').replaceWith(avatar(userId, 'You'));
  $('me').textContent = userId;
  $('me-avatar').replaceChildren(initial(userId, 'initial small'));
  $('connection').textContent = 'online';
  $('connection').dataset.state = 'connected';
  client.on('onConnectionStateChanged', ({ state: s, reason }) => {
    $('connection').textContent = { connected: 'online', reconnecting: 'reconnecting…', disconnected: 'offline' }[s] ?? s;
    $('connection').dataset.state = s;
    if (s === 'disconnected' && reason !== 'destroyed' && state.client === client) {
      const why = {
        kicked: 'You signed in with this device somewhere else, so this page was signed out.',
        userSigExpired: 'Your sign-in has expired. Sign in again.',
        authFailed: 'Sign-in was refused. Sign in again.',
      }[reason] ?? 'The connection to the server was lost. Sign in again.';
      signOut(why, 'error');
    }
  });
  client.on('onCallReceived', (e) => {
    if (state.call || state.incoming) return;
    const others = e.calleeIdList.filter((u) => u !== userId && u !== e.callerId);
    state.incoming = { ...e, ringUntil: Date.now() + (e.info?.timeout || DEFAULT_RING_SECONDS) * 1000 };
    state.accepting = false;
    $('accept').disabled = false;
    $('incoming-from').textContent = others.length ? `${e.callerId}, with ${others.join(', ')}` : e.callerId;
    $('incoming-media').textContent = e.mediaType === 'Video' ? 'video' : 'audio';
    $('incoming-avatar').replaceChildren(initial(e.callerId));
    show('incoming');
    status('');
  });
  client.on('onCallBegin', (e) => {
    if (state.call?.callId !== e.callId) return;
    state.call.connected = true;
    state.call.connectedAt = Date.now();
    show('incall');
    status('');
    syncCall();
  });
  client.on('onUserVideoAvailable', (e) => {
    if (state.call?.callId === e.callId) syncCall();
  });
  client.on('onUserAudioAvailable', (e) => {
    if (state.call?.callId !== e.callId) return;
    syncCall();
    status(e.available ? `${e.userId} unmuted` : `${e.userId} muted`);
  });
  client.on('onCallMediaTypeChanged', (e) => {
    if (state.call?.callId !== e.callId) return;
    setMediaType(e.newMediaType);
    status(e.newMediaType === 'Audio' ? 'Switched to an audio call' : 'Switched to a video call');
  });
  for (const [event, text] of [
    ['onUserReject', (u) => `${u} declined`],
    ['onUserNoResponse', (u) => `${u} did not answer`],
    ['onUserLineBusy', (u) => `${u} is busy`],
    ['onUserJoin', (u) => `${u} joined`],
    ['onUserLeave', (u) => `${u} left`],
    ['onUserInviting', (u) => `Ringing ${u}…`],
  ]) {
    client.on(event, (e) => {
      if (state.call?.callId !== e.callId) return;
      // An invitation makes a group call, for good.
      if (event === 'onUserInviting') state.call.group = true;
      status(text(e.userId));
      syncCall();
    });
  }
  const ended = (e) => {
    if (state.incoming?.callId === e.callId && !state.call) {
      const text = endSentence(e, userId, state.incoming);
      state.incoming = undefined;
      state.accepting = false;
      status(text, e.reason === 'canceled' || e.reason === 'noResponse' ? 'missed' : 'info');
      show('idle');
      void refreshRecent();
      return;
    }
    if (state.call?.callId !== e.callId) return;
    endCall(endSentence(e, userId, state.call));
  };
  // After a reconnection the server says where the call stands: draw it again.
  client.on('onCallState', () => syncCall());
  client.on('onCallEnd', ended);
  client.on('onCallNotConnected', ended);
  show('idle');
  status('');
  void refreshRecent();
  const current = client.currentCall;
  if (current?.status === 'Calling') await resumeCall(current);
}

/** Signs out: hangs up a call (destroy does), forgets this tab's user, back to the sign-in screen. */
function signOut(text = '', kind = 'info') {
  const client = state.client;
  state.client = undefined;
  endCall(text, kind, { quiet: true });
  state.incoming = undefined;
  client?.destroy();
  sessionStorage.removeItem('dialtone-user');
  $('me').textContent = '';
  $('me-avatar').replaceChildren();
  $('connection').textContent = '';
  delete $('connection').dataset.state;
  $('recent-list').replaceChildren();
  delete $('recent-list').dataset.loaded;
  $('recent-empty').hidden = false;
  document.title = 'Dialtone';
  show('signed-out');
  status(text, kind);
}

// ---------------------------------------------------------------------------------------------
// Calls.

/** This page came back (a reload) while its user was in a call: back into it, media and all. */
async function resumeCall(call) {
  beginCall(call.callId, call.mediaType, { outgoing: call.callerId === state.client.userId, timeout: call.info?.timeout });
  state.call.connected = call.acceptTime > 0;
  show(state.call.connected ? 'incall' : 'outgoing');
  status('Back in the call');
  syncCall();
  try {
    await startMedia(call.callId, call.mediaType, undefined, true);
  } catch (err) {
    await state.client?.hangup(call.callId).catch(() => undefined);
    endCall(`Could not resume the call. ${human(err)}`, 'error');
  }
}

/** A call this page shows, starting with this user's microphone and camera on. */
function beginCall(callId, mediaType, { outgoing, timeout }) {
  state.call = {
    callId,
    mediaType,
    outgoing,
    peers: [],
    group: false,
    connected: false,
    micOn: true,
    camOn: true,
    ringUntil: Date.now() + (timeout || DEFAULT_RING_SECONDS) * 1000,
  };
  document.body.dataset.media = mediaType;
  syncCall();
}

function stopTracks(stream) {
  for (const t of stream?.getTracks() ?? []) t.stop();
}

/** `rejoin`: this page resumes a call it was in (the others connect to it afresh). */
async function startMedia(callId, mediaType, localStream, rejoin = false) {
  const media = new CallMedia({
    client: state.client,
    callId,
    mediaType,
    localStream,
    rejoin,
    onRemoteStream: (userId, stream) => {
      if (state.call?.callId !== callId) return;
      const fig = tile(userId);
      fig.classList.remove('waiting');
      const video = fig.querySelector('video');
      if (video.srcObject !== stream) video.srcObject = stream;
    },
    // A member still in the call keeps their tile (their avatar shows until media is back).
    onRemoteGone: (userId) => {
      const fig = remoteTile(userId);
      if (!fig) return;
      fig.querySelector('video').srcObject = null;
      syncCall();
    },
  });
  state.media = media;
  // While a member's connection is down (network, reload), their tile says so instead of freezing.
  media.on('connectionState', ({ userId, state: s }) => {
    remoteTile(userId)?.classList.toggle('reconnecting', s === 'disconnected' || s === 'failed');
  });
  let stream;
  try {
    stream = await media.start();
  } catch (err) {
    media.stop();
    stopTracks(localStream);
    throw err;
  }
  // The call may have ended while the camera opened: nothing of it may stay on.
  if (state.call?.callId !== callId || state.media !== media) {
    media.stop();
    stopTracks(stream);
    return;
  }
  $('local-video').srcObject = stream;
  // Mute or camera-off chosen while the media was starting.
  if (!state.call.micOn) media.setMicrophone(false).catch(() => undefined);
  if (!state.call.camOn) media.setCamera(false).catch(() => undefined);
}

/** Leaves the call's screen: media and tracks stopped, state reset, the outcome said. */
function endCall(text, kind = 'info', { quiet = false } = {}) {
  const connectedFor = state.call?.connected ? (Date.now() - (currentOf(state.call)?.acceptTime || state.call.connectedAt)) / 1000 : 0;
  // The call is over for the page before its media stops (stopping reports members gone).
  state.call = undefined;
  state.incoming = undefined;
  const media = state.media;
  state.media = undefined;
  media?.stop();
  stopTracks(media?.localStream);
  stopTracks($('local-video').srcObject);
  $('local-video').srcObject = null;
  state.accepting = false;
  for (const fig of document.querySelectorAll('figure.remote')) fig.remove();
  delete document.body.dataset.media;
  layout();
  updateControls();
  document.title = 'Dialtone';
  if (quiet) return;
  status(connectedFor > 0 && kind === 'info' ? `${text} · ${clock(connectedFor)}` : text, kind);
  show('idle');
  void refreshRecent();
}

function userIdsOf(input) {
  return input.value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

// ---------------------------------------------------------------------------------------------
// What the user does.

$('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const userId = $('userid').value.trim();
  const button = $('signin-form').querySelector('button');
  button.disabled = true;
  status('');
  signIn(userId)
    .catch((err) => {
      status(err.sentence ?? human(err, { invalid: USER_ID_SENTENCE, fallback: 'Could not sign in. Is the server running?' }), 'error');
    })
    .finally(() => (button.disabled = false));
});

$('signout').addEventListener('click', () => signOut('You signed out.'));

$('dial-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (state.dialing || state.call) return;
  const userIdList = userIdsOf($('callees'));
  if (userIdList.length === 0) return;
  const mediaType = document.querySelector('input[name=media]:checked').value;
  state.dialing = true;
  $('dial').disabled = true;
  status('');
  let localStream;
  try {
    // The camera opens first (so the call can show it at once); a refused call closes it again.
    localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: mediaType === 'Video' });
    const { callId } = await state.client.calls({ userIdList, mediaType });
    beginCall(callId, mediaType, { outgoing: true, timeout: DEFAULT_RING_SECONDS });
    show('outgoing');
    $('local-video').srcObject = localStream;
    const started = localStream;
    localStream = undefined; // The call owns it now: endCall stops it.
    await startMedia(callId, mediaType, started);
  } catch (err) {
    stopTracks(localStream);
    const me = state.client?.userId;
    const sentence = human(err, {
      invalid: userIdList.includes(me)
        ? "You can't call yourself."
        : userIdList.length > 8
          ? 'A call can have at most 8 other people.'
          : `Check the user ids. ${USER_ID_SENTENCE} Separate several with commas.`,
      fallback: 'Could not start the call. Please try again.',
    });
    if (state.call) {
      await state.client?.hangup(state.call.callId).catch(() => undefined);
      endCall(sentence, 'error');
    } else status(sentence, 'error');
  } finally {
    state.dialing = false;
    $('dial').disabled = false;
  }
});

$('accept').addEventListener('click', async () => {
  const e = state.incoming;
  // One answer per call: a double click must not open the camera twice.
  if (!e || state.accepting || state.call) return;
  state.accepting = true;
  $('accept').disabled = true;
  state.incoming = undefined;
  beginCall(e.callId, e.mediaType, { outgoing: false, timeout: e.info?.timeout });
  show('outgoing');
  let answered = false;
  try {
    await startMedia(e.callId, e.mediaType);
    if (state.call?.callId !== e.callId) return;
    await state.client.accept(e.callId);
    answered = true;
  } catch (err) {
    if (state.call?.callId !== e.callId) return;
    // No camera or microphone: the caller hears a decline rather than ringing on.
    if (!answered) await state.client?.reject(e.callId).catch(() => undefined);
    endCall(`Could not answer. ${human(err, { notAllowed: 'The call has already ended.' })}`, 'error');
  } finally {
    state.accepting = false;
  }
});

$('reject').addEventListener('click', async () => {
  const e = state.incoming;
  if (!e) return;
  tones.stop();
  await state.client.reject(e.callId).catch(() => undefined);
});

$('hangup').addEventListener('click', async () => {
  if (!state.call) return;
  const { callId, connected } = state.call;
  const client = state.client;
  endCall(connected ? 'You hung up' : 'You cancelled the call');
  await client?.hangup(callId).catch(() => undefined);
  // The call's record exists once the server has the hangup: list it now.
  void refreshRecent();
});

// Both switch the local track and tell the others (setMediaState), who then show an avatar or a muted mark.
$('mute').addEventListener('click', () => {
  const call = state.call;
  if (!call) return;
  call.micOn = !call.micOn;
  updateControls();
  state.media?.setMicrophone(call.micOn).catch(() => status('The others may not see that you muted: the connection is unsteady.', 'error'));
});

$('camera').addEventListener('click', () => {
  const call = state.call;
  if (!call) return;
  call.camOn = !call.camOn;
  updateControls();
  state.media?.setCamera(call.camOn).catch(() => status('The others may not see your camera change: the connection is unsteady.', 'error'));
});

for (const [button, mediaType] of [
  ['switch-audio', 'Audio'],
  ['switch-video', 'Video'],
]) {
  // Both sides' media follow the change (CallMedia opens or releases the camera).
  $(button).addEventListener('click', async () => {
    if (!state.call) return;
    try {
      await state.client.switchMediaType({ callId: state.call.callId, mediaType });
    } catch (err) {
      status(`Could not switch to ${mediaType.toLowerCase()}. ${human(err, { notAllowed: 'Only a connected call between two people can switch.' })}`, 'error');
    }
  });
}

$('invite-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const users = userIdsOf($('invitees'));
  if (!state.call || users.length === 0) return;
  try {
    const rung = await state.client.inviteUser(state.call.callId, users);
    status(rung.length ? `Ringing ${rung.join(', ')}…` : `${users.join(', ')} ${users.length > 1 ? 'are' : 'is'} busy`);
    $('invitees').value = '';
    syncCall();
  } catch (err) {
    status(
      human(err, {
        invalid: users.includes(state.client.userId) ? 'You are already in this call.' : `Check the user ids. ${USER_ID_SENTENCE}`,
        fallback: 'Could not invite. Please try again.',
      }),
      'error',
    );
  }
});

const remembered = sessionStorage.getItem('dialtone-user');
if (remembered) {
  $('userid').value = remembered;
  signIn(remembered).catch((err) => status(err.sentence ?? human(err, { fallback: 'Could not sign in again. Sign in below.' }), 'error'));
} else show('signed-out');
