/** A port held by something that is not moto, for the "port taken" errors. */
import * as net from 'node:net';

/** Listens on 127.0.0.1:port, answering every connection with junk; returns the release function. */
export async function occupyPort(port: number): Promise<() => Promise<void>> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined); // probes hang up abruptly
    socket.on('close', () => sockets.delete(socket));
    socket.end('not moto\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
