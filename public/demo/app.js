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
  $('me').textContent = `Signed in as ${userId}`;
  $('connection').textContent = 'connected';
  client.on('onConnectionStateChanged', ({ state: s }) => ($('connection').textContent = s));
  client.on('onCallReceived', (e) => {
    if (state.call) return;
    state.incoming = e;
    $('incoming-from').textContent = `${e.callerId} is calling${e.calleeIdList.length > 1 ? ` (with ${e.calleeIdList.filter((u) => u !== userId).join(', ')})` : ''}`;
    $('incoming-media').textContent = e.mediaType === 'Video' ? 'video' : 'audio';
    show('incoming');
    status('Ringing…');
  });
  client.on('onCallBegin', (e) => {
    if (state.call?.callId !== e.callId) return;
    show('incall');
    status('Connected');
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
      if (state.call?.callId === e.callId) status(text(e.userId));
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
}

function tile(userId) {
  let fig = document.querySelector(`figure[data-user="${CSS.escape(userId)}"]`);
  if (!fig) {
    fig = document.createElement('figure');
    fig.className = 'tile remote';
    fig.dataset.user = userId;
    fig.innerHTML = '<video autoplay playsinline></video><figcaption></figcaption>';
    fig.querySelector('figcaption').textContent = userId;
    $('tiles').append(fig);
  }
  return fig;
}

function startMedia(callId, mediaType, localStream) {
  const media = new CallMedia({
    client: state.client,
    callId,
    mediaType,
    localStream,
    onRemoteStream: (userId, stream) => {
      const video = tile(userId).querySelector('video');
      if (video.srcObject !== stream) video.srcObject = stream;
    },
    onRemoteGone: (userId) => document.querySelector(`figure[data-user="${CSS.escape(userId)}"]`)?.remove(),
  });
  state.media = media;
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
  for (const fig of document.querySelectorAll('figure.remote')) fig.remove();
  $('local-video').srcObject = null;
  status(text);
  show('idle');
}

$('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  signIn($('userid').value.trim()).catch((err) => status(`Sign-in failed: ${err.message}`));
});

$('dial-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const userIdList = $('callees').value.split(',').map((s) => s.trim()).filter(Boolean);
  const mediaType = document.querySelector('input[name=media]:checked').value;
  try {
    const localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: mediaType === 'Video' });
    const { callId } = await state.client.calls({ userIdList, mediaType });
    state.call = { callId, label: `Called ${userIdList.join(', ')}` };
    $('call-title').textContent = `${mediaType} call with ${userIdList.join(', ')}`;
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
  state.call = { callId: e.callId, label: `Call from ${e.callerId}` };
  $('call-title').textContent = `${e.mediaType} call with ${e.callerId}`;
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

$('mute').addEventListener('click', () => {
  state.micOn = !state.micOn;
  state.media?.setMicrophone(state.micOn);
  $('mute').textContent = state.micOn ? 'Mute' : 'Unmute';
});

$('camera').addEventListener('click', () => {
  state.camOn = !state.camOn;
  state.media?.setCamera(state.camOn);
  $('camera').textContent = state.camOn ? 'Camera off' : 'Camera on';
});

$('invite-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const users = $('invitees').value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!state.call || users.length === 0) return;
  try {
    const rung = await state.client.inviteUser(state.call.callId, users);
    status(rung.length ? `Inviting ${rung.join(', ')}…` : 'Nobody to invite (busy?)');
    $('invitees').value = '';
  } catch (err) {
    status(`Could not invite: ${err.message}`);
  }
});
