/** How a REST command (`/v4/{service}/{command}`) is declared. */
import type { Static, TSchema } from '@sinclair/typebox';
import type { Actor } from '../../app/call-service.js';
import type { ErrorDef } from '../../errors.js';
import { validator, type Validator } from '../../schema.js';

/** One REST command: its body schema, its service's error codes and its handler. */
export interface RestCommand<T extends TSchema = TSchema> {
  /** `service/command`, e.g. `call_config/set_callback`. */
  path: string;
  /** The body schema (what `validate` checks), e.g. for documentation and fuzzing. */
  body: T;
  validate: Validator<T>;
  /** Error for a body that fails the schema (the service's "invalid parameter"). */
  invalidParam: ErrorDef;
  /** Error for an unexpected failure (the service's "internal error"). */
  internal: ErrorDef;
  /** Returns the `Response` payload, or undefined for an envelope-only answer. */
  handle: (body: Static<T>, actor: Actor) => Promise<unknown>;
}

/** Declares a REST command; the schema is compiled once here. */
export function restCommand<T extends TSchema>(spec: {
  path: string;
  body: T;
  invalidParam: ErrorDef;
  internal: ErrorDef;
  handle: (body: Static<T>, actor: Actor) => Promise<unknown>;
}): RestCommand {
  return {
    path: spec.path,
    body: spec.body,
    validate: validator(spec.body),
    invalidParam: spec.invalidParam,
    internal: spec.internal,
    handle: spec.handle as RestCommand['handle'],
  };
}
