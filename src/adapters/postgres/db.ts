/** What the PostgreSQL repositories share: the shape of a statement, and the advisory-lock key. */

/** One statement: a prepared statement when it has a `name` (parsed and planned once per connection). */
export interface Statement {
  name?: string;
  text: string;
  values?: unknown[];
}

/**
 * An advisory-lock key (a bigint computed by the server) for `text` in this schema: keys of
 * deployments that share a database in different schemas do not collide.
 */
export function lockKeySql(text: string): string {
  return `hashtextextended(coalesce(current_schema(), '') || ':' || ${text}, 0)`;
}
