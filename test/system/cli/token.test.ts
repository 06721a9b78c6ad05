/** `npm run token`, run from source as a process of its own: the JWT it prints is one the server accepts. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { AuthService } from '../../../src/auth/auth.service';

const secret = 'unit-test-secret-of-at-least-32-chars!!';
const auth = new AuthService({ jwtSecret: secret, apiKeys: [], openMode: false, defaultAccountId: 'default' });
const root = path.join(__dirname, '../../..');

describe('the token CLI', () => {
  it('`npm run token` prints a JWT the server accepts', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-r', path.join(root, 'test/helpers/ts-register.js'), path.join(root, 'src/auth/token-cli.ts'), '--role', 'admin', '--sub', 'alice@example.com', '--account', 'acme'],
      { env: { ...process.env, JWT_SECRET: secret, API_KEYS: '' } },
    );
    expect(await auth.resolve({ authorization: `Bearer ${stdout.trim()}` })).toMatchObject({ role: 'admin', username: 'alice@example.com', accountId: 'acme' });
  }, 30000);
});
