/**
 * Slow clients give their connection up: a request whose headers or body never finish arriving is
 * dropped after HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS, an idle keep-alive connection
 * after HTTP_KEEP_ALIVE_TIMEOUT_MS.
 */
import net from 'node:net';
import { startTestApp, type TestApp } from '../helpers/app';
import { report, timed } from './helpers';

jest.setTimeout(30_000);

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '500' });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

/** Connects, writes `data`, and resolves (with what the server sent) once the server ends the connection. */
function heldUntilClosed(data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(t.app.port, '127.0.0.1', () => socket.write(data));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.once('close', () => resolve(received));
    socket.once('error', reject);
  });
}

it('drops a request whose headers never finish, after HTTP_HEADERS_TIMEOUT_MS', async () => {
  const { ms } = await timed(() => heldUntilClosed('POST /graphql HTTP/1.1\r\nHost: localhost\r\n'));
  report(`partial headers held ${ms.toFixed(0)} ms`);
  expect(ms).toBeGreaterThanOrEqual(900);
  expect(ms).toBeLessThan(5000);
});

it('drops a request whose body never finishes, after HTTP_REQUEST_TIMEOUT_MS, for many at once', async () => {
  const partial = 'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":';
  const { ms } = await timed(() => Promise.all(Array.from({ length: 50 }, () => heldUntilClosed(partial))));
  report(`50 partial bodies all dropped after ${ms.toFixed(0)} ms`);
  expect(ms).toBeGreaterThanOrEqual(1900);
  expect(ms).toBeLessThan(6000);
});

it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS, having answered its request', async () => {
  const { result, ms } = await timed(() => heldUntilClosed('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'));
  expect(result).toMatch(/^HTTP\/1\.1 200/);
  expect(ms).toBeLessThan(3000);
});
