/**
 * `dialtone_admin` (a Dialtone extension): the apps this server hosts. Only administrators of the
 * operator app (the one the start-up configuration names, else the oldest) may use it, so one
 * app's administrators never see another app.
 */
import { Type } from '@sinclair/typebox';
import type { AppRegistry } from '../../../app/app-registry.js';
import type { App, Clock } from '../../../app/ports.js';
import { ERR, dialtoneError } from '../../../errors.js';
import type { Actor } from '../../../app/call-service.js';
import { ControlFreeString, UserId } from '../../../schema.js';
import { restCommand, type RestCommand } from '../command.js';

const codes = { invalidParam: ERR.CONFIG_INVALID_PARAM, internal: ERR.CONFIG_INTERNAL };
const SdkAppId = Type.Integer({ minimum: 1, maximum: 0xffffffff });

/** What is shown of an app: never its keys. */
function appOut(app: App, operator: number | undefined): Record<string, unknown> {
  return { SdkAppId: app.sdkAppId, Admins: app.admins, CreateTimeMs: app.createdAt, Operator: app.sdkAppId === operator };
}

/** The `dialtone_admin` commands. */
export function adminCommands(apps: AppRegistry, clock: Clock): RestCommand[] {
  const onlyOperator = (actor: Actor) => {
    if (actor.sdkAppId !== apps.operatorId()) throw dialtoneError(ERR.REST_NOT_OPERATOR);
  };
  return [
    restCommand({
      path: 'dialtone_admin/create_app',
      body: Type.Object({
        SdkAppId: Type.Optional(SdkAppId),
        SecretKey: Type.Optional(ControlFreeString({ minLength: 16, maxLength: 256 })),
        Admins: Type.Optional(Type.Array(UserId(), { minItems: 1, maxItems: 16 })),
      }),
      ...codes,
      handle: async (body, actor) => {
        onlyOperator(actor);
        const app = await apps.create({ sdkAppId: body.SdkAppId, secretKey: body.SecretKey, admins: body.Admins }, clock.now());
        if (!app) throw dialtoneError(ERR.APP_EXISTS, `an app with SdkAppId ${body.SdkAppId} exists`);
        // The one answer that carries the keys: the operator hands them to the app's developers.
        return { ...appOut(app, apps.operatorId()), SecretKey: app.secretKey, WebhookSecret: app.webhookSecret };
      },
    }),
    restCommand({
      path: 'dialtone_admin/list_apps',
      body: Type.Object({}),
      ...codes,
      handle: async (_body, actor) => {
        onlyOperator(actor);
        const operator = apps.operatorId();
        return { AppList: apps.list().map((a) => appOut(a, operator)) };
      },
    }),
    restCommand({
      path: 'dialtone_admin/get_app',
      body: Type.Object({ SdkAppId }),
      ...codes,
      handle: async (body, actor) => {
        onlyOperator(actor);
        const app = apps.get(body.SdkAppId);
        if (!app) throw dialtoneError(ERR.APP_NOT_FOUND, `SDKAppID not found: ${body.SdkAppId}`);
        return { App: appOut(app, apps.operatorId()) };
      },
    }),
  ];
}
