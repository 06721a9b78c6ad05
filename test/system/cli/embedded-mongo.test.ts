/**
 * The standalone process: prints its URI, serves the driver, exits 0 on SIGTERM.
 * Always the embedded server (MONGODB_URI is irrelevant here); run from source (see
 * test/helpers/processes.ts) so a stale dist/ cannot hide a change.
 */
import { MongoClient } from 'mongodb';
import { fromSource, spawnProcess } from '../../helpers/processes';

it('starts, prints its URI, serves a ping and exits 0 on SIGTERM', async () => {
  const cli = spawnProcess('embedded-mongo-cli', process.execPath, fromSource('src/embedded-mongo/cli.ts', ['--port', '0']), { PATH: process.env.PATH });
  try {
    const line = await cli.waitForLine(() => true, 30_000, 'its first line');
    expect(line).toMatch(/^embedded MongoDB listening on mongodb:\/\/127\.0\.0\.1:\d+\/ \(in memory: data is lost on exit\)$/);
    const uri = /mongodb:\/\/\S+/.exec(line)![0];
    expect(uri).not.toContain(':0/');
    const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 5000 }).connect();
    try {
      expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
      await client.db('cli').collection('c').insertOne({ a: 1 });
      expect(await client.db('cli').collection('c').countDocuments()).toBe(1);
    } finally {
      await client.close();
    }
    await cli.stop('SIGTERM');
    expect(cli.child.exitCode).toBe(0);
  } finally {
    await cli.stop('SIGKILL');
  }
});
