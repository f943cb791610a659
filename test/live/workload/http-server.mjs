// HTTP/1.1 keep-alive server for the live tests: GET /ok/* -> 200, POST /post/* -> 201 with the
// body's length, anything else -> 404. Usage: node http-server.mjs <port>
import { createServer } from 'node:http';

createServer((req, res) => {
  let length = 0;
  req.on('data', (chunk) => { length += chunk.length; });
  req.on('end', () => {
    const [status, text] = req.method === 'GET' && req.url.startsWith('/ok/') ? [200, 'ok\n']
      : req.method === 'POST' && req.url.startsWith('/post/') ? [201, `got ${length} bytes\n`]
      : [404, 'not found\n'];
    res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
