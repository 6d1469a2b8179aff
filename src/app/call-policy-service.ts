/** The app's call policy (SPEC §5.2): call rules an app may change, such as who may join its group calls. */
import type { CallPolicy, CallPolicyRepo, Storage } from './ports.js';

/** The policy of an app that never set one. */
export const DEFAULT_CALL_POLICY: CallPolicy = Object.freeze({ openGroupJoin: false });

/** The app's effective call policy: what it set, defaults for the rest. Reads inside the caller's transaction. */
export async function callPolicyOf(repo: CallPolicyRepo, sdkAppId: number): Promise<CallPolicy> {
  return { ...DEFAULT_CALL_POLICY, ...(await repo.get(sdkAppId)) };
}

/** Reads and changes an app's call policy. */
export class CallPolicyService {
  constructor(private readonly storage: Storage) {}

  /** The app's effective call policy. */
  get(sdkAppId: number): Promise<CallPolicy> {
    return this.storage.transaction((tx) => callPolicyOf(tx.callPolicy, sdkAppId));
  }

  /** Changes the fields given; returns the effective policy. */
  set(sdkAppId: number, change: Partial<CallPolicy>): Promise<CallPolicy> {
    return this.storage.transaction(async (tx) => {
      const next = { ...(await tx.callPolicy.get(sdkAppId)), ...change };
      await tx.callPolicy.set(sdkAppId, next);
      return { ...DEFAULT_CALL_POLICY, ...next };
    });
  }
}
