/** One line describing a failed attempt's error, for the attempt log (pure: shared by the worker and the HTTP sender). */

/** `code: message: cause code` of an Error (undici and Node put the useful part in `code` and `cause`). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return [code, err.message, cause?.code].filter(Boolean).join(': ') || err.name;
  }
  return String(err);
}
