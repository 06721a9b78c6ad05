/**
 * The standalone process: prints its URI, serves the driver, exits 0 on SIGTERM.
 * Always the embedded server (MONGODB_URI is irrelevant here); run from source through
 * test/helpers/ts-register.js so a stale dist/ cannot hide a change.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { MongoClient } from 'mongodb';

const root = path.resolve(__dirname, '../../..');
const register = path.join(root, 'test/helpers/ts-register.js');
const cli = path.join(root, 'src/embedded-mongo/cli.ts');

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(out.slice(0, newline));
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`cli exited early with ${code}: ${err}`)));
  });
}

it('starts, prints its URI, serves a ping and exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, ['-r', register, cli, '--port', '0'], { cwd: root });
  try {
    const line = await firstLine(child);
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
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
