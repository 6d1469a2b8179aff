/** The answer envelopes: exactly the JSON Dialtone (and the reference product) expects. */
import { describe, expect, it } from 'vitest';
import { SUCCESS_ENVELOPE, failureEnvelope, successEnvelope } from './envelope.js';

describe('envelopes', () => {
  it('success is { ActionStatus: OK, ErrorInfo: "", ErrorCode: 0 } in the documented key order', () => {
    expect(JSON.stringify(SUCCESS_ENVELOPE)).toBe('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}');
    expect(JSON.stringify(successEnvelope())).toBe(JSON.stringify(SUCCESS_ENVELOPE));
  });

  it('SUCCESS_ENVELOPE cannot be changed by accident; successEnvelope() returns a fresh copy', () => {
    expect(Object.isFrozen(SUCCESS_ENVELOPE)).toBe(true);
    expect(successEnvelope()).not.toBe(successEnvelope());
  });

  it('failure carries FAIL, the code and the message', () => {
    expect(failureEnvelope(401, 'bad signature')).toEqual({ ActionStatus: 'FAIL', ErrorInfo: 'bad signature', ErrorCode: 401 });
  });
});
