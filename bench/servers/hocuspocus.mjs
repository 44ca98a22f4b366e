/**
 * Hocuspocus (`@hocuspocus/server`, no extensions: memory only) on loopback, as its README starts it.
 * Plain Node, no TypeScript loader. Prints `listening <port>`.
 */
import { Server } from '@hocuspocus/server';

const server = new Server({ port: Number(process.env.PORT), address: '127.0.0.1', quiet: true });
await server.listen();
console.log(`listening ${process.env.PORT}`);
process.on('SIGTERM', () => process.exit(0));
