// A TCP proxy in front of PostgreSQL that reads the frontend side of the wire protocol and counts
// what a client sends: statements (simple `Query` messages and extended `Execute`s), round trips
// (`Query` and `Sync`: each waits for the server's answer) and, per connection, the transactions
// they belong to. It needs no change to the program measured (point its DATABASE_URL at the proxy)
// and sees every statement, pool queries outside transactions included.
import { connect, createServer } from 'node:net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const TX_CONTROL = /^\s*(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK)\b/i;

/** A statement's label: a prepared statement's name, or the start of its text. */
const labelOf = (name, text) => name || text.replace(/\s+/g, ' ').trim().slice(0, 90);

/** Reads a NUL-terminated string at `at`; returns it and the offset after the NUL. */
function cstring(buf, at) {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
}

/**
 * Counts what crosses the proxy. `statements` maps a label to its count, `texts` a prepared
 * statement's name to its text, `transactions` a transaction's shape (its labels in order,
 * repeats collapsed) to its count; `roundTrips` and `txControl` (BEGIN/COMMIT/ROLLBACK) are
 * totals. `reset()` zeroes them.
 */
export class WireCounts {
  constructor() {
    this.texts = new Map();
    this.reset();
  }

  reset() {
    this.statements = new Map();
    this.transactions = new Map();
    this.roundTrips = 0;
    this.txControl = 0;
    this.total = 0;
  }

  /** One statement run on `conn` (its per-connection state); `text` is its SQL. */
  statement(conn, label, text = label) {
    if (TX_CONTROL.test(text)) {
      this.txControl++;
      if (/^\s*(BEGIN|START)/i.test(text)) conn.tx = [];
      else {
        if (conn.tx) {
          const shape = conn.tx.filter((l, i) => l !== conn.tx[i - 1]).join(' → ') || '(empty)';
          this.transactions.set(shape, (this.transactions.get(shape) ?? 0) + 1);
        }
        conn.tx = undefined;
      }
      return;
    }
    this.total++;
    this.statements.set(label, (this.statements.get(label) ?? 0) + 1);
    if (conn.tx) conn.tx.push(label);
    else this.transactions.set(`(no transaction) ${label}`, (this.transactions.get(`(no transaction) ${label}`) ?? 0) + 1);
  }
}

/** Parses the frontend stream of one connection, telling `counts` what it runs. */
class FrontendParser {
  constructor(counts) {
    this.counts = counts;
    this.buf = Buffer.alloc(0);
    this.started = false;
    /** Unnamed statement's text (from the last unnamed Parse), and the statement each portal is bound to. */
    this.unnamed = '';
    this.portals = new Map();
    this.conn = { tx: undefined };
  }

  push(chunk) {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (!this.started) {
        if (this.buf.length < 8) return;
        const len = this.buf.readInt32BE(0);
        if (this.buf.length < len) return;
        const code = this.buf.readInt32BE(4);
        this.buf = this.buf.subarray(len);
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.started = true;
        continue;
      }
      if (this.buf.length < 5) return;
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < len + 1) return;
      this.message(String.fromCharCode(this.buf[0]), this.buf.subarray(5, len + 1));
      this.buf = this.buf.subarray(len + 1);
    }
  }

  message(type, body) {
    const c = this.counts;
    switch (type) {
      case 'Q': {
        c.roundTrips++;
        c.statement(this.conn, labelOf('', cstring(body, 0)[0]));
        break;
      }
      case 'P': {
        const [name, at] = cstring(body, 0);
        const [text] = cstring(body, at);
        if (name) c.texts.set(name, text);
        else this.unnamed = text;
        break;
      }
      case 'B': {
        const [portal, at] = cstring(body, 0);
        const [name] = cstring(body, at);
        this.portals.set(portal, name ? name : this.unnamed);
        break;
      }
      case 'E': {
        const [portal] = cstring(body, 0);
        const stmt = this.portals.get(portal) ?? '';
        c.statement(this.conn, c.texts.has(stmt) ? stmt : labelOf('', stmt), c.texts.get(stmt) ?? stmt);
        break;
      }
      case 'S':
        c.roundTrips++;
        break;
    }
  }
}

/**
 * Starts a proxy to the PostgreSQL of `databaseUrl` on a free loopback port. Resolves to
 * `{ url, counts, ports, close }`: `url` is `databaseUrl` pointed at the proxy, `ports` the local
 * ports of its connections to PostgreSQL (to find their backends, see {@link BackendCpu}).
 */
export async function startPgWireCounter(databaseUrl) {
  const target = new URL(databaseUrl);
  const counts = new WireCounts();
  const sockets = new Set();
  /** Local ports of the connections to PostgreSQL: `client_port` of their backends in pg_stat_activity. */
  const ports = new Set();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    upstream.once('connect', () => ports.add(upstream.localPort));
    const parser = new FrontendParser(counts);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d) => {
      parser.push(d);
      upstream.write(d);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(server.address().port);
  return {
    url: url.toString(),
    counts,
    ports,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * CPU time of the PostgreSQL backends serving the proxy's connections, and of no other: the
 * database may be shared with other programs. Backends are found by their client port in
 * `pg_stat_activity` and sampled from /proc every `everyMs` (a backend that exits keeps its last
 * sample). `seconds()` is their CPU seconds so far.
 */
export class BackendCpu {
  constructor(admin, ports, cpuSeconds, everyMs = 200) {
    this.admin = admin;
    this.ports = ports;
    this.cpuSeconds = cpuSeconds;
    this.last = new Map();
    this.timer = setInterval(() => void this.sample(), everyMs);
  }

  async sample() {
    const { rows } = await this.admin.query('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [[...this.ports]]);
    for (const { pid } of rows) {
      try {
        this.last.set(pid, this.cpuSeconds(pid));
      } catch {
        // exited meanwhile: its last sample stands
      }
    }
  }

  async seconds() {
    await this.sample();
    let total = 0;
    for (const v of this.last.values()) total += v;
    return total;
  }

  stop() {
    clearInterval(this.timer);
  }
}
