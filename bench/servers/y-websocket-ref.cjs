/**
 * The y-websocket 2.1.0 reference server (the `y-websocket-ref` devDependency alias), as its own bin/server.cjs
 * runs it: an HTTP server whose upgrades go to `setupWSConnection`, memory only (no YPERSISTENCE).
 * Plain Node, no TypeScript loader, so its memory and CPU are the reference's own. Prints `listening <port>`.
 */
const http = require('node:http');
const WebSocket = require('ws');
const { setupWSConnection } = require('y-websocket-ref/bin/utils');

const wss = new WebSocket.Server({ noServer: true });
wss.on('connection', setupWSConnection);
const server = http.createServer((_request, response) => response.end('okay'));
server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)));
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
