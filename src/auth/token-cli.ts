/**
 * `npm run token -- --role admin --sub alice@example.com [--account acme] [--user-id 6] [--expires 12h]`
 * prints a development JWT signed with JWT_SECRET, to paste into Sandbox as `Authorization: Bearer <jwt>`.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { signToken } from './auth.service';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', default: 'admin' },
      sub: { type: 'string' },
      account: { type: 'string' },
      'user-id': { type: 'string' },
      expires: { type: 'string', default: '12h' },
    },
  });
  const config = loadConfig();
  if (!config.jwtSecret) throw new Error('JWT_SECRET is not set: export the same JWT_SECRET as the server (32+ characters)');
  const role = values.role;
  if (role !== 'admin' && role !== 'user') throw new Error('--role must be admin or user');
  const account = values.account ?? config.defaultAccountId;
  if (role === 'admin') {
    if (!values.sub) throw new Error('--sub <username> is required for an admin token');
    process.stdout.write(`${await signToken(config.jwtSecret, { role, account, sub: values.sub }, values.expires)}\n`);
    return;
  }
  const userId = Number(values['user-id']);
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new Error('--user-id <positive integer> is required for a user token');
  process.stdout.write(`${await signToken(config.jwtSecret, { role, account, userId, sub: values.sub }, values.expires)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
