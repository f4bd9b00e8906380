/**
 * An HTTP proxy on loopback in front of the emulator that spoils the response to ONE of
 * terraform's lock requests, the way a slow emulator does: the request reaches the emulator (the
 * lock is written), but the answer reaches the client only after `delayMs`, or never (the
 * connection is dropped), so the client's SDK sends the request again.
 *
 * A lock request is a DynamoDB PutItem (`X-Amz-Target: DynamoDB_20120810.PutItem`) or an S3 PUT
 * of a `.tflock` object.
 */
import * as http from 'node:http';

export interface LockProxy {
  readonly port: number;
  /** Spoils the response to the next lock request of this kind. @default 'state' */
  armOnce(kind?: LockKind): void;
  /** How many lock responses were spoiled so far. */
  spoiled(): number;
  close(): Promise<void>;
}

export interface LockProxyOptions {
  /** The emulator's port. */
  readonly upstreamPort: number;
  /** Where to listen. */
  readonly port: number;
  /** How long to hold the response back before dropping the connection. @default 3000 */
  readonly delayMs?: number;
}

/** Which lock request `armOnce` spoils: terraform's state lock, or the workflow's apply lock. */
type LockKind = 'state' | 'apply';

function isLockRequest(req: http.IncomingMessage, kind: LockKind): boolean {
  if (req.method !== 'PUT' && req.method !== 'POST') return false;
  if (kind === 'apply') return req.method === 'PUT' && /\/apply\.lock(\?|$)/.test(req.url ?? '');
  if (req.headers['x-amz-target'] === 'DynamoDB_20120810.PutItem') return true;
  return req.method === 'PUT' && /\.tflock(\?|$)/.test(req.url ?? '');
}

export async function startLockProxy(opts: LockProxyOptions): Promise<LockProxy> {
  let armed: LockKind | undefined;
  let spoiled = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const spoil = armed !== undefined && isLockRequest(req, armed);
    if (spoil) {
      armed = undefined;
      // Counted when chosen: whether the emulator answers or the upstream connection fails, the
      // client never hears back.
      spoiled += 1;
    }
    const upstream = http.request({ host: '127.0.0.1', port: opts.upstreamPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        if (spoil) {
          // The emulator did the write; the client never hears of it and tries again.
          setTimeout(() => req.socket.destroy(), opts.delayMs ?? 3000);
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.end(Buffer.concat(chunks));
      });
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  return {
    port: opts.port,
    armOnce: (kind = 'state') => {
      armed = kind;
    },
    spoiled: () => spoiled,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
