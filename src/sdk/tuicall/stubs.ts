/**
 * Stand-ins for the two objects the UI reaches through the engine: `getTim()` (Tencent's chat
 * SDK, which the UI asks for user profiles and group data) and `getTRTCCloudInstance()` (TRTC,
 * whose events the UI's AI subtitles listen to and whose `muteAllRemoteAudio` mutes the
 * speaker). Dialtone has no chat or profile service: profiles answer with the user id as the
 * name (so the UI shows ids rather than blanks), and the signed-in user's `setSelfInfo`.
 */

/** A user profile as the chat SDK gives it. */
export interface Profile {
  userID: string;
  nick: string;
  avatar: string;
}

/** The profile and group calls the UI makes on a chat instance, answered from what Dialtone knows. */
export interface ProfileChat {
  getMyProfile(): Promise<{ code: 0; data: Profile }>;
  getUserProfile(options: { userIDList: string[] }): Promise<{ code: 0; data: Profile[] }>;
  getFriendProfile(options: { userIDList: string[] }): Promise<{
    code: 0;
    data: { friendList: never[]; failureUserIDList: { userID: string; code: number; message: string }[] };
  }>;
  getGroupMemberList(options: unknown): Promise<{ code: 0; data: { memberList: never[] } }>;
  getGroupProfile(options: { groupID: string }): Promise<{ code: 0; data: { group: { groupID: string } } }>;
  getGroupAttributes(options: unknown): Promise<{ code: 0; data: { groupAttributes: Record<string, string> } }>;
  on(event: string, handler: unknown, context?: unknown): void;
  off(event: string, handler: unknown, context?: unknown): void;
  isReady(): boolean;
}

/**
 * A chat instance that knows only the signed-in user (`self()`, with what `setSelfInfo` set):
 * every other user is their id, with no nickname and no avatar; there are no friends or groups.
 */
export function profileChat(self: () => Profile): ProfileChat {
  const other = (userID: string): Profile => (userID === self().userID ? self() : { userID, nick: '', avatar: '' });
  return {
    getMyProfile: async () => ({ code: 0, data: self() }),
    getUserProfile: async ({ userIDList }) => ({ code: 0, data: (userIDList ?? []).map(other) }),
    // No friends: every id is a "failure", so the UI asks getUserProfile, as it does for strangers.
    getFriendProfile: async ({ userIDList }) => ({
      code: 0,
      data: { friendList: [], failureUserIDList: (userIDList ?? []).map((userID) => ({ userID, code: 0, message: 'not a friend' })) },
    }),
    getGroupMemberList: async () => ({ code: 0, data: { memberList: [] } }),
    getGroupProfile: async ({ groupID }) => ({ code: 0, data: { group: { groupID } } }),
    getGroupAttributes: async () => ({ code: 0, data: { groupAttributes: {} } }),
    on: () => undefined,
    off: () => undefined,
    isReady: () => true,
  };
}

/** The part of TRTCCloud the UI uses. */
export interface TRTCCloudStub {
  /** Subscribes to a TRTC event; Dialtone emits none (no custom command messages, no AI subtitles). */
  on(event: string, handler: (...args: unknown[]) => void, context?: unknown): void;
  off(event: string, handler: (...args: unknown[]) => void, context?: unknown): void;
  /** Mutes (true) or unmutes every remote member's audio. */
  muteAllRemoteAudio(mute: boolean): void;
}

/** A TRTCCloud stand-in whose `muteAllRemoteAudio` calls `mute`. */
export function trtcCloudStub(mute: (muted: boolean) => void): TRTCCloudStub {
  const handlers = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    on(event, handler) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler);
    },
    off(event, handler) {
      handlers.get(event)?.delete(handler);
    },
    muteAllRemoteAudio(muteAll) {
      mute(muteAll === true);
    },
  };
}
