/**
 * Standalone embedded MongoDB: `node dist/src/embedded-mongo/cli.js --port 27018`.
 * Binds 127.0.0.1 only (there is no authentication); `--port 0` picks a free port.
 */
import { startEmbeddedMongo } from './server';

function parsePort(argv: string[]): number {
  const at = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  if (at < 0) return 27017;
  const raw = argv[at].includes('=') ? argv[at].split('=')[1] : argv[at + 1];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid --port ${String(raw)}\n`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const mongo = await startEmbeddedMongo({ port: parsePort(process.argv.slice(2)), host: '127.0.0.1' });
  process.stdout.write(`embedded MongoDB listening on ${mongo.uri} (in memory: data is lost on exit)\n`);
  const shutdown = () => {
    mongo.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`embedded MongoDB failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
