/**
 * jest globalSetup of the system project: says once, up front, what happens to the Redis suites
 * when redis-server is missing: skipped (one line, with how to install it), or, with CI=true, a
 * failure of the whole run. The skipping itself is skip-without-redis.js.
 */
const path = require('node:path');
const { INSTALL_HINT, findRedisServer, mustRun, redisSuites } = require('./redis-server');

module.exports = async function globalSetup(globalConfig) {
  if (findRedisServer()) return;
  const suites = redisSuites(path.join(globalConfig.rootDir, 'test'));
  if (suites.length === 0) return;
  const names = suites.map((file) => path.relative(globalConfig.rootDir, file)).join(', ');
  if (mustRun()) {
    throw new Error(`redis-server not found and CI=true: the ${suites.length} Redis suites (${names}) must run, not be skipped. ${INSTALL_HINT}`);
  }
  process.stderr.write(`\nredis-server not found: ${suites.length} Redis suites skipped (${names}). ${INSTALL_HINT}\n\n`);
};
