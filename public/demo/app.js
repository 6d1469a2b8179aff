// The Dialtone demo: sign in as any user, call, ring, talk with real WebRTC media.
import { CallMedia, DialtoneClient } from '/sdk/dialtone-client.js';

const $ = (id) => document.getElementById(id);
const state = { client: undefined, call: undefined, media: undefined, incoming: undefined, micOn: true, camOn: true };

const REASONS = {
  hangup: (u) => `Call ended${u ? ` by ${u}` : ''}`,
  reject: (u) => `${u} rejected the call`,
  noResponse: (u) => `No answer from ${u}`,
  lineBusy: (u) => `${u} is busy`,
  canceled: (u) => `Call cancelled by ${u}`,
  offline: (u) => `${u} went offline`,
  otherDeviceAccepted: () => 'Answered on another device',
  otherDeviceReject: () => 'Rejected on another device',
  endByServer: () => 'The call was ended by the server',
  unknown: () => 'Call ended',
};

function show(screen) {
  document.body.dataset.state = screen;
}
function status(text) {
  $('status').textContent = text;
}
function remember(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} — ${text}`;
  $('recent-list').prepend(li);
}

async function signIn(userId) {
  const res = await fetch(`/dev/usersig?userId=${encodeURIComponent(userId)}`);
  if (!res.ok) throw new Error((await res.json()).error ?? 'sign-in refused');
  const { sdkAppId, userSig } = await res.json();
  let device = sessionStorage.getItem('dialtone-device');
  if (!device) sessionStorage.setItem('dialtone-device', (device = `web-${Math.random().toString(36).slice(2, 10)}`));
  const client = await DialtoneClient.init({ server: location.origin, sdkAppId, userId, userSig, platform: 'Web', device });
  state.client = client;
  // A reload signs this tab in again as the same user on the same device, and resumes its call.
  sessionStorage.setItem('dialtone-user', userId);
  document.querySelector('figure.local .avatar').replaceWith(avatar(userId, 'You'));
  $('me').textContent = `Signed in as ${userId}`;
  $('connection').textContent = 'connected';
  client.on('onConnectionStateChanged', ({ state: s }) => ($('connection').textContent = s));
  client.on('onCallReceived', (e) => {
    if (state.call) return;
    state.incoming = e;
    $('incoming-from').textContent =
      `${e.callerId} is calling${e.calleeIdList.length > 1 ? ` (with ${e.calleeIdList.filter((u) => u !== userId).join(', ')})` : ''}`;
    $('incoming-media').textContent = e.mediaType === 'Video' ? 'video' : 'audio';
    show('incoming');
    status('Ringing…');
  });
  client.on('onCallBegin', (e) => {
    if (state.call?.callId !== e.callId) return;
    state.call.connected = true;
    // Whoever enters learns the others' cameras from the members the server lists.
    for (const m of e.members ?? []) if (m.userId !== userId && m.camera !== undefined) setRemoteCamera(m.userId, m.camera);
    show('incall');
    status('Connected');
    updateControls();
  });
  client.on('onUserVideoAvailable', (e) => {
    if (state.call?.callId === e.callId) setRemoteCamera(e.userId, e.available);
  });
  client.on('onUserAudioAvailable', (e) => {
    if (state.call?.callId !== e.callId) return;
    tile(e.userId).dataset.microphone = e.available ? 'on' : 'off';
    status(e.available ? `${e.userId} unmuted` : `${e.userId} muted`);
  });
  client.on('onCallMediaTypeChanged', (e) => {
    if (state.call?.callId !== e.callId) return;
    setMediaType(e.newMediaType);
    status(e.newMediaType === 'Audio' ? 'Switched to an audio call' : 'Switched to a video call');
  });
  for (const [event, text] of [
    ['onUserReject', (u) => `${u} rejected`],
    ['onUserNoResponse', (u) => `${u} did not answer`],
    ['onUserLineBusy', (u) => `${u} is busy`],
    ['onUserJoin', (u) => `${u} joined`],
    ['onUserLeave', (u) => `${u} left`],
    ['onUserInviting', (u) => `Inviting ${u}…`],
  ]) {
    client.on(event, (e) => {
      if (state.call?.callId !== e.callId) return;
      // An invitation makes a group call, for good.
      if (event === 'onUserInviting') state.call.group = true;
      status(text(e.userId));
      updateControls();
    });
  }
  const ended = (e) => {
    if (state.incoming?.callId === e.callId && !state.call) {
      state.incoming = undefined;
      const text = (REASONS[e.reason] ?? REASONS.unknown)(e.userId);
      status(text);
      remember(`Missed call: ${text}`);
      show('idle');
      return;
    }
    if (state.call?.callId !== e.callId) return;
    const text = (REASONS[e.reason] ?? REASONS.unknown)(e.userId);
    endCall(text);
  };
  client.on('onCallEnd', ended);
  client.on('onCallNotConnected', ended);
  client.on('onKickedOffline', () => status('Signed in elsewhere: this page is offline'));
  client.on('onUserSigExpired', () => status('Your session expired: sign in again'));
  show('idle');
  status('');
  const current = client.currentCall;
  if (current?.status === 'Calling') await resumeCall(current);
}

/** This page came back (a reload) while its user was in a call: back into it, media and all. */
async function resumeCall(call) {
  const me = state.client.userId;
  const others = call.members.filter((m) => m.userId !== me).map((m) => m.userId);
  const label = call.callerId === me ? `Called ${others.join(', ')}` : `Call from ${call.callerId}`;
  beginCall(call.callId, label, others.join(', '), call.mediaType, call.members.length > 2);
  state.call.connected = call.acceptTime > 0;
  for (const m of call.members) if (m.userId !== me && m.camera !== undefined) setRemoteCamera(m.userId, m.camera);
  show(state.call.connected ? 'incall' : 'outgoing');
  status('Back in the call');
  updateControls();
  try {
    await startMedia(call.callId, call.mediaType, undefined, true);
  } catch (err) {
    await state.client.hangup(call.callId).catch(() => undefined);
    endCall(`Could not resume the call: ${err.message}`);
  }
}

/** What stands in for a picture: the user's initial on a colour of their own, and their id. */
function avatar(userId, label) {
  const div = document.createElement('div');
  div.className = 'avatar';
  const initial = document.createElement('span');
  initial.className = 'initial';
  initial.textContent = [...userId][0]?.toUpperCase() ?? '?';
  let hue = 0;
  for (const ch of userId) hue = (hue * 31 + ch.codePointAt(0)) % 360;
  initial.style.background = `hsl(${hue} 55% 45%)`;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = label;
  div.append(initial, name);
  return div;
}

function tile(userId) {
  let fig = document.querySelector(`figure.remote[data-user="${CSS.escape(userId)}"]`);
  if (!fig) {
    fig = document.createElement('figure');
    fig.className = 'tile remote';
    fig.dataset.user = userId;
    fig.innerHTML = '<video autoplay playsinline></video><figcaption></figcaption>';
    fig.querySelector('figcaption').textContent = userId;
    fig.append(avatar(userId, userId));
    fig.classList.toggle('camera-off', state.call?.cameraOff.has(userId) ?? false);
    $('tiles').append(fig);
  }
  return fig;
}

/** Another member's camera went on or off: their tile shows their video or their avatar. */
function setRemoteCamera(userId, on) {
  if (!state.call) return;
  if (on) state.call.cameraOff.delete(userId);
  else state.call.cameraOff.add(userId);
  tile(userId).classList.toggle('camera-off', !on);
}

/** The call is (now) audio or video: the page follows (avatars for everyone in an audio call). */
function setMediaType(mediaType) {
  if (!state.call) return;
  state.call.mediaType = mediaType;
  document.body.dataset.media = mediaType;
  $('call-title').textContent = `${mediaType} call with ${state.call.peers}`;
  updateControls();
}

/** Shows the controls that fit the call: switching only in a connected 1-to-1 call, to the other type. */
function updateControls() {
  const call = state.call;
  const switchable = call && call.connected && !call.group;
  $('switch-audio').hidden = !(switchable && call.mediaType === 'Video');
  $('switch-video').hidden = !(switchable && call.mediaType === 'Audio');
  $('mute').textContent = state.micOn ? 'Mute' : 'Unmute';
  $('camera').textContent = state.camOn ? 'Camera off' : 'Camera on';
  document.querySelector('figure.local').classList.toggle('camera-off', !state.camOn);
}

/** A call this page is in: `peers` names the others, `group` once it has (or had) more than one. */
function beginCall(callId, label, peers, mediaType, group) {
  state.call = { callId, label, peers, mediaType, group, connected: false, cameraOff: new Set() };
  state.micOn = true;
  state.camOn = true;
  setMediaType(mediaType);
}

/** `rejoin`: this page resumes a call it was in (the others connect to it afresh). */
function startMedia(callId, mediaType, localStream, rejoin = false) {
  const media = new CallMedia({
    client: state.client,
    callId,
    mediaType,
    localStream,
    rejoin,
    onRemoteStream: (userId, stream) => {
      const video = tile(userId).querySelector('video');
      if (video.srcObject !== stream) video.srcObject = stream;
    },
    onRemoteGone: (userId) => document.querySelector(`figure[data-user="${CSS.escape(userId)}"]`)?.remove(),
  });
  state.media = media;
  // While a member's connection is down (network, reload), their tile says so instead of freezing.
  media.on('connectionState', ({ userId, state: s }) => {
    const fig = document.querySelector(`figure.remote[data-user="${CSS.escape(userId)}"]`);
    fig?.classList.toggle('reconnecting', s === 'disconnected' || s === 'failed');
  });
  return media.start().then((stream) => {
    $('local-video').srcObject = stream;
  });
}

function endCall(text) {
  state.media?.stop();
  state.media = undefined;
  if (state.call) remember(`${state.call.label}: ${text}`);
  state.call = undefined;
  state.incoming = undefined;
  state.micOn = true;
  state.camOn = true;
  for (const fig of document.querySelectorAll('figure.remote')) fig.remove();
  $('local-video').srcObject = null;
  delete document.body.dataset.media;
  updateControls();
  status(text);
  show('idle');
}

const remembered = sessionStorage.getItem('dialtone-user');
if (remembered) {
  $('userid').value = remembered;
  signIn(remembered).catch((err) => status(`Sign-in failed: ${err.message}`));
}

$('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  signIn($('userid').value.trim()).catch((err) => status(`Sign-in failed: ${err.message}`));
});

$('dial-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const userIdList = $('callees')
    .value.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const mediaType = document.querySelector('input[name=media]:checked').value;
  try {
    const localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: mediaType === 'Video' });
    const { callId } = await state.client.calls({ userIdList, mediaType });
    beginCall(callId, `Called ${userIdList.join(', ')}`, userIdList.join(', '), mediaType, userIdList.length > 1);
    show('outgoing');
    status(`Calling ${userIdList.join(', ')}…`);
    await startMedia(callId, mediaType, localStream);
  } catch (err) {
    status(`Could not call: ${err.message}`);
  }
});

$('accept').addEventListener('click', async () => {
  const e = state.incoming;
  if (!e) return;
  const others = [e.callerId, ...e.calleeIdList.filter((u) => u !== state.client.userId)];
  beginCall(e.callId, `Call from ${e.callerId}`, others.join(', '), e.mediaType, e.calleeIdList.length > 1);
  try {
    await startMedia(e.callId, e.mediaType);
    await state.client.accept(e.callId);
  } catch (err) {
    endCall(`Could not accept: ${err.message}`);
  }
});

$('reject').addEventListener('click', async () => {
  const e = state.incoming;
  if (!e) return;
  await state.client.reject(e.callId).catch(() => undefined);
});

$('hangup').addEventListener('click', async () => {
  if (!state.call) return;
  const { callId } = state.call;
  await state.client.hangup(callId).catch(() => undefined);
  endCall('You hung up');
});

// Both switch the local track and tell the others (setMediaState), who then show an avatar or a muted mark.
$('mute').addEventListener('click', () => {
  state.micOn = !state.micOn;
  updateControls();
  state.media?.setMicrophone(state.micOn).catch((err) => status(`Could not tell the others: ${err.message}`));
});

$('camera').addEventListener('click', () => {
  state.camOn = !state.camOn;
  updateControls();
  state.media?.setCamera(state.camOn).catch((err) => status(`Could not tell the others: ${err.message}`));
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
      status(`Could not switch to ${mediaType.toLowerCase()}: ${err.message}`);
    }
  });
}

$('invite-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const users = $('invitees')
    .value.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!state.call || users.length === 0) return;
  try {
    const rung = await state.client.inviteUser(state.call.callId, users);
    status(rung.length ? `Inviting ${rung.join(', ')}…` : 'Nobody to invite (busy?)');
    $('invitees').value = '';
  } catch (err) {
    status(`Could not invite: ${err.message}`);
  }
});
