/**
 * Dialtone's delivery extensions of `call_config` (SPEC §6): the delivery log, replay, the
 * delivery policy and the webhook secret. Same envelope and auth as the reference commands;
 * times are unix **milliseconds** (names end in `Ms`).
 */
import { Type } from '@sinclair/typebox';
import type { DeliveryService } from '../../../app/delivery-service.js';
import type { AttemptRecord, OutboxRecord } from '../../../app/ports.js';
import { MAX_TIMEOUT_MS, type DeliveryPolicy } from '../../../callbacks/policy.js';
import { CALLBACK_COMMANDS, type CallbackCommand } from '../../../domain/types.js';
import { ERR } from '../../../errors.js';
import { Identifier } from '../../../schema.js';
import { restCommand, type RestCommand } from '../command.js';

const codes = { invalidParam: ERR.CONFIG_INVALID_PARAM, internal: ERR.CONFIG_INTERNAL };
const CallbackId = Identifier();
const TimeMs = Type.Integer({ minimum: 0 });

function delivery(e: OutboxRecord): Record<string, unknown> {
  return {
    CallbackId: e.id,
    CallId: e.callId,
    CallbackCommand: e.command,
    Status: e.status,
    Attempts: e.attempts,
    CreateTimeMs: e.createdAt,
    ...(e.status === 'pending' ? { NextAttemptTimeMs: e.nextAttemptAt } : {}),
    DeliveredTimeMs: e.deliveredAt,
    LastHttpStatus: e.lastHttpStatus,
    LastError: e.lastError,
  };
}

function attempt(a: AttemptRecord): Record<string, unknown> {
  return {
    Attempt: a.attempt,
    TimeMs: a.startedAt,
    LatencyMs: a.latencyMs,
    HttpStatus: a.httpStatus,
    Error: a.error,
    Response: a.responseExcerpt,
  };
}

function policyOut(p: DeliveryPolicy): Record<string, unknown> {
  return {
    Mode: p.mode === 'reference' ? 'Reference' : 'Retry',
    TimeoutMs: p.timeoutMs,
    RetryScheduleSeconds: p.retryScheduleMs.map((ms) => ms / 1000),
    Ordering: p.ordering,
    EmitCallMediaType: p.emitCallMediaType,
  };
}

/** The delivery commands. */
export function deliveryCommands(deliveries: DeliveryService): RestCommand[] {
  return [
    restCommand({
      path: 'call_config/list_deliveries',
      body: Type.Object({
        Status: Type.Optional(
          Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('cancelled')]),
        ),
        CallbackCommand: Type.Optional(Type.Union(CALLBACK_COMMANDS.map((c) => Type.Literal(c)))),
        CallId: Type.Optional(Identifier()),
        StartTimeMs: Type.Optional(TimeMs),
        EndTimeMs: Type.Optional(TimeMs),
        NumberPerPage: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        Page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
      }),
      ...codes,
      handle: async (body, actor) => {
        const page = body.Page ?? 1;
        const { total, entries } = await deliveries.list(
          actor.sdkAppId,
          {
            status: body.Status,
            command: body.CallbackCommand as CallbackCommand | undefined,
            callId: body.CallId,
            from: body.StartTimeMs,
            to: body.EndTimeMs,
          },
          page,
          body.NumberPerPage ?? 20,
        );
        return { TotalNum: total, Page: page, DeliveryList: entries.map(delivery) };
      },
    }),
    restCommand({
      path: 'call_config/get_delivery',
      body: Type.Object({ CallbackId }),
      ...codes,
      handle: async (body, actor) => {
        const { entry, attempts } = await deliveries.get(actor.sdkAppId, body.CallbackId);
        return { Delivery: { ...delivery(entry), Url: entry.url, Body: entry.body }, AttemptList: attempts.map(attempt) };
      },
    }),
    restCommand({
      path: 'call_config/resend_delivery',
      body: Type.Object({ CallbackId }),
      ...codes,
      handle: async (body, actor) => {
        await deliveries.resend(actor.sdkAppId, body.CallbackId);
        return undefined;
      },
    }),
    restCommand({
      path: 'call_config/resend_failed_deliveries',
      body: Type.Object({ SinceMs: TimeMs }),
      ...codes,
      handle: async (body, actor) => ({ Count: await deliveries.resendFailed(actor.sdkAppId, body.SinceMs) }),
    }),
    restCommand({
      path: 'call_config/get_delivery_policy',
      body: Type.Object({}),
      ...codes,
      handle: async (_body, actor) => policyOut(await deliveries.policy(actor.sdkAppId)),
    }),
    restCommand({
      path: 'call_config/set_delivery_policy',
      body: Type.Object({
        Mode: Type.Optional(Type.Union([Type.Literal('Retry'), Type.Literal('Reference')])),
        TimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: MAX_TIMEOUT_MS })),
        RetryScheduleSeconds: Type.Optional(Type.Array(Type.Number({ minimum: 0, maximum: 86400 }), { maxItems: 20 })),
        Ordering: Type.Optional(Type.Boolean()),
        EmitCallMediaType: Type.Optional(Type.Boolean()),
      }),
      ...codes,
      handle: async (body, actor) => {
        const change: Partial<DeliveryPolicy> = {};
        if (body.Mode !== undefined) change.mode = body.Mode === 'Reference' ? 'reference' : 'retry';
        if (body.TimeoutMs !== undefined) change.timeoutMs = body.TimeoutMs;
        if (body.RetryScheduleSeconds !== undefined) change.retryScheduleMs = body.RetryScheduleSeconds.map((s) => Math.round(s * 1000));
        if (body.Ordering !== undefined) change.ordering = body.Ordering;
        if (body.EmitCallMediaType !== undefined) change.emitCallMediaType = body.EmitCallMediaType;
        return policyOut(await deliveries.setPolicy(actor.sdkAppId, change));
      },
    }),
    restCommand({
      path: 'call_config/get_webhook_secret',
      body: Type.Object({}),
      ...codes,
      handle: async (_body, actor) => {
        const s = deliveries.secrets(actor.sdkAppId);
        return { Secret: s.secret, ...(s.previous ? { PreviousSecret: s.previous, PreviousSecretUntilMs: s.previousUntil } : {}) };
      },
    }),
    restCommand({
      path: 'call_config/rotate_webhook_secret',
      body: Type.Object({
        Secret: Type.Optional(
          Type.String({
            pattern: '^whsec_[A-Za-z0-9+/]{32,}={0,2}$',
            maxLength: 200,
            errorMessage: 'must be whsec_ followed by the base64 of at least 24 bytes',
          }),
        ),
      }),
      ...codes,
      handle: async (body, actor) => ({ Secret: await deliveries.rotateSecret(actor.sdkAppId, body.Secret) }),
    }),
  ];
}
