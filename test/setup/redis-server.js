/**
 * Where `redis-server` is, and which test files need it. Shared by jest.config.js (through
 * global-setup.js and skip-without-redis.js) and test/helpers/redis.ts, so that "is Redis
 * available" has one answer everywhere.
 *
 * Plain CommonJS: jest's global setup and setup files load it without a TypeScript transform.
 */
const fs = require('node:fs');
const path = require('node:path');

const INSTALL_HINT = 'Install it: Debian/Ubuntu `apt-get install redis-server`, macOS `brew install redis` (or set REDIS_SERVER_BIN to its path).';

/**
 * The redis-server executable: `REDIS_SERVER_BIN` when set (also the way to hide it in a test of
 * this very mechanism: `REDIS_SERVER_BIN=/nonexistent`), else the first `redis-server` on PATH;
 * undefined when there is none.
 */
function findRedisServer(env = process.env) {
  const executable = (file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (env.REDIS_SERVER_BIN) return executable(env.REDIS_SERVER_BIN) ? env.REDIS_SERVER_BIN : undefined;
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, 'redis-server'))) return path.join(dir, 'redis-server');
  }
  return undefined;
}

/** Without redis-server, the Redis suites are skipped, except under CI=true, where they must run. */
const mustRun = (env = process.env) => env.CI === 'true';

/** Where a file starts redis-server: every test Redis goes through `redisServerBin()` in test/helpers/redis.ts. */
const SPAWNS_REDIS = /\bredisServerBin\(/;
const RELATIVE_IMPORT = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function resolveLocal(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, path.join(base, 'index.ts'), path.join(base, 'index.js')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Whether a test file needs redis-server: it, or a file it imports (relative imports, followed
 * transitively, not into node_modules or src/), starts one through `redisServerBin()`. Read off
 * the imports so that a suite needs no marker and keeps working wherever test/ moves it.
 */
function needsRedis(testFile, seen = new Set()) {
  if (seen.has(testFile)) return false;
  seen.add(testFile);
  const source = fs.readFileSync(testFile, 'utf8');
  if (SPAWNS_REDIS.test(source) && path.basename(testFile) !== 'redis-server.js') return true;
  for (const match of source.matchAll(RELATIVE_IMPORT)) {
    const file = resolveLocal(testFile, match[1]);
    if (file && !file.includes(`${path.sep}src${path.sep}`) && !file.includes(`${path.sep}node_modules${path.sep}`) && needsRedis(file, seen)) return true;
  }
  return false;
}

/** Every `*.test.ts` under `dir` that needs redis-server. */
function redisSuites(dir) {
  const found = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(file);
      else if (entry.isFile() && entry.name.endsWith('.test.ts') && needsRedis(file)) found.push(file);
    }
  };
  walk(dir);
  return found.sort();
}

module.exports = { INSTALL_HINT, findRedisServer, mustRun, needsRedis, redisSuites };
