import { AuthService, signToken } from '../../src/auth/auth.service';
import { UnauthenticatedError } from '../../src/errors';

const secret = 'unit-test-secret-of-at-least-32-chars!!';
const key = 'service-key-0123456789';
const auth = new AuthService({ jwtSecret: secret, apiKeys: [{ key, accountId: 'acme' }], openMode: false, defaultAccountId: 'default' });

describe('AuthService', () => {
  it('resolves admin and user JWTs and API keys into viewers', async () => {
    const admin = await signToken(secret, { role: 'admin', account: 'acme', sub: 'alice' });
    expect(await auth.resolve({ authorization: `Bearer ${admin}` })).toMatchObject({ role: 'admin', accountId: 'acme', username: 'alice' });
    const user = await signToken(secret, { role: 'user', account: 'acme', userId: 6 });
    expect(await auth.resolve({ authorization: `bearer ${user}` })).toMatchObject({ role: 'user', accountId: 'acme', userId: 6 });
    expect(await auth.resolve({ apiKey: key })).toMatchObject({ role: 'admin', accountId: 'acme' });
    expect(await auth.resolve({ authorization: `Bearer ${key}` })).toMatchObject({ role: 'admin', accountId: 'acme' });
    expect(await auth.resolve({})).toBeNull();
  });

  it.each([
    ['a malformed header', { authorization: 'Token abc' }, /Bearer/],
    ['an unknown key', { apiKey: 'nope-nope-nope-nope' }, /API key/],
    ['a token without account', { claims: { role: 'admin', sub: 'x' } }, /account/],
    ['an admin token without sub', { claims: { role: 'admin', account: 'acme' } }, /sub/],
    ['a user token without userId', { claims: { role: 'user', account: 'acme' } }, /userId/],
    ['an unknown role', { claims: { role: 'root', account: 'acme', sub: 'x' } }, /role/],
  ])('rejects %s', async (_name, input: any, message) => {
    const credentials = input.claims ? { authorization: `Bearer ${await signToken(secret, input.claims)}` } : input;
    await expect(auth.resolve(credentials)).rejects.toThrow(UnauthenticatedError);
    await expect(auth.resolve(credentials)).rejects.toThrow(message);
  });

  it('acts as an admin of the default account in open mode only', async () => {
    const open = new AuthService({ jwtSecret: undefined, apiKeys: [], openMode: true, defaultAccountId: 'dev-account' });
    expect(await open.resolve({})).toMatchObject({ role: 'admin', accountId: 'dev-account' });
    await expect(open.resolve({ authorization: 'Bearer whatever' })).rejects.toThrow(UnauthenticatedError);
  });
});
