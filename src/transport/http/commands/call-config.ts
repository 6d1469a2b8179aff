/** `call_config`: callback URL, command list and token (SPEC §2.2). */
import { Type } from '@sinclair/typebox';
import type { CallbackConfigService } from '../../../app/callback-config-service.js';
import { CALLBACK_COMMANDS, type CallbackCommand } from '../../../domain/types.js';
import { ERR, dialtoneError } from '../../../errors.js';
import { ControlFreeString } from '../../../schema.js';
import { restCommand, type RestCommand } from '../command.js';

/** Longest accepted callback URL, characters. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

const Empty = Type.Object({});
const codes = { invalidParam: ERR.CONFIG_INVALID_PARAM, internal: ERR.CONFIG_INTERNAL };

/** Throws `100002` unless `url` is an absolute http(s) URL. */
function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw dialtoneError(ERR.CONFIG_INVALID_PARAM, 'Url is not an absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw dialtoneError(ERR.CONFIG_INVALID_PARAM, 'Url must be http:// or https://');
  }
}

/** The `call_config` commands. */
export function callConfigCommands(service: CallbackConfigService): RestCommand[] {
  return [
    restCommand({
      path: 'call_config/set_callback',
      body: Type.Object({
        Url: ControlFreeString({ minLength: 1, maxLength: MAX_CALLBACK_URL_LENGTH }),
        CallbackCommandList: Type.Array(Type.Union(CALLBACK_COMMANDS.map((c) => Type.Literal(c))), { maxItems: 16 }),
      }),
      ...codes,
      handle: async (body, actor) => {
        checkUrl(body.Url);
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
