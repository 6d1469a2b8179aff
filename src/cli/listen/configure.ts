/** `listen --configure`: points the app's callbacks at the listener, and puts them back after. */
import { progress } from '../output.js';
import { RestError, type RestClient } from '../rest-client.js';

/** "No callback configured": nothing to restore but a deletion. */
const NO_CALLBACK = 100301;

const ALL_COMMANDS = ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'];

/**
 * Sets the app's callback to `listening` for every command, saying so on stderr, and returns the
 * function that restores the previous configuration (or deletes it when there was none).
 */
export async function pointCallbacksAt(client: RestClient, listening: string): Promise<() => Promise<void>> {
  let previous: { Url: string; CallbackCommandList: string[] } | undefined;
  try {
    previous = await client.call('call_config/get_callback');
  } catch (err) {
    if (!(err instanceof RestError && err.errorCode === NO_CALLBACK)) throw err;
  }
  await client.call('call_config/set_callback', { Url: listening, CallbackCommandList: ALL_COMMANDS });
  progress(
    `app ${client.connection.sdkAppId} now sends its callbacks here${previous ? ` (was ${previous.Url}; restored on exit)` : ' (removed again on exit)'}`,
  );
  return async () => {
    if (previous) await client.call('call_config/set_callback', previous);
    else await client.call('call_config/delete_callback');
  };
}
