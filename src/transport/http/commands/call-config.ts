/** `call_config`: callback URL, command list and token (SPEC §2.2), and the call policy (SPEC §5.2). */
import { Type } from '@sinclair/typebox';
import type { CallPolicyService } from '../../../app/call-policy-service.js';
import type { CallbackConfigService } from '../../../app/callback-config-service.js';
import type { DestinationPolicy } from '../../../callbacks/destination.js';
import type { CallPolicy } from '../../../app/ports.js';
import { CALLBACK_COMMANDS, type CallbackCommand } from '../../../domain/types.js';
import { ERR, dialtoneError } from '../../../errors.js';
import { ControlFreeString } from '../../../schema.js';
import { restCommand, type RestCommand } from '../command.js';

/** Longest accepted callback URL, characters. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

const Empty = Type.Object({});
const codes = { invalidParam: ERR.CONFIG_INVALID_PARAM, internal: ERR.CONFIG_INTERNAL };

/**
 * Throws `100002` unless `url` is an absolute http(s) URL without user-info whose host, if a
 * literal address, the destination policy allows (SPEC §6 "Safe destinations"). Host names are
 * checked when callbacks are sent, on the address connected to.
 */
function checkUrl(url: string, destinations: DestinationPolicy): void {
  const refusal = destinations.refuseUrl(url);
  if (refusal !== undefined) throw dialtoneError(ERR.CONFIG_INVALID_PARAM, refusal);
}

/** The `call_config` commands; `destinations` decides which callback URLs are accepted. */
export function callConfigCommands(service: CallbackConfigService, destinations: DestinationPolicy): RestCommand[] {
  return [
    restCommand({
      path: 'call_config/set_callback',
      body: Type.Object({
        Url: ControlFreeString({ minLength: 1, maxLength: MAX_CALLBACK_URL_LENGTH }),
        CallbackCommandList: Type.Array(Type.Union(CALLBACK_COMMANDS.map((c) => Type.Literal(c))), { maxItems: 16 }),
      }),
      ...codes,
      handle: async (body, actor) => {
        checkUrl(body.Url, destinations);
        const commands = [...new Set(body.CallbackCommandList)] as CallbackCommand[];
        await service.set(actor.sdkAppId, { url: body.Url, commands });
        return undefined;
      },
    }),
    restCommand({
      path: 'call_config/get_callback',
      body: Empty,
      ...codes,
      handle: async (_body, actor) => {
        const config = await service.get(actor.sdkAppId);
        return { Url: config.url, CallbackCommandList: config.commands };
      },
    }),
    restCommand({
      path: 'call_config/delete_callback',
      body: Empty,
      ...codes,
      handle: async (_body, actor) => {
        await service.delete(actor.sdkAppId);
        return undefined;
      },
    }),
    restCommand({
      path: 'call_config/set_callback_token',
      body: Type.Object({
        Token: ControlFreeString({ minLength: 1, maxLength: 128 }),
        IsTokenEnable: Type.Boolean(),
      }),
      ...codes,
      handle: async (body, actor) => {
        await service.setToken(actor.sdkAppId, { token: body.Token, enabled: body.IsTokenEnable });
        return undefined;
      },
    }),
    restCommand({
      path: 'call_config/get_callback_token',
      body: Empty,
      ...codes,
      handle: async (_body, actor) => {
        const token = await service.getToken(actor.sdkAppId);
        return { Token: token.token, IsTokenEnable: token.enabled };
      },
    }),
    restCommand({
      path: 'call_config/delete_callback_token',
      body: Empty,
      ...codes,
      handle: async (_body, actor) => {
        await service.deleteToken(actor.sdkAppId);
        return undefined;
      },
    }),
  ];
}

function callPolicyOut(p: CallPolicy): Record<string, unknown> {
  return { OpenGroupJoin: p.openGroupJoin };
}

/** The call policy commands of `call_config`: `set_call_policy`, `get_call_policy` (SPEC §5.2). */
export function callPolicyCommands(policy: CallPolicyService): RestCommand[] {
  return [
    restCommand({
      path: 'call_config/set_call_policy',
      body: Type.Object({ OpenGroupJoin: Type.Boolean() }),
      ...codes,
      handle: async (body, actor) => callPolicyOut(await policy.set(actor.sdkAppId, { openGroupJoin: body.OpenGroupJoin })),
    }),
    restCommand({
      path: 'call_config/get_call_policy',
      body: Empty,
      ...codes,
      handle: async (_body, actor) => callPolicyOut(await policy.get(actor.sdkAppId)),
    }),
  ];
}
