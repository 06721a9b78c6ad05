/**
 * `node -r ./test/helpers/transpile-cache.js -r ./test/helpers/ts-register.js file.ts`: the same
 * transpilation as ts-register.js, remembered on disk. Spawning three processes from source on a
 * busy 2-core machine otherwise spends most of the scale-out suite transpiling the same files.
 *
 * It hands ts-register.js a `typescript` whose `transpileModule` is cached (the real module's
 * exports are read-only getters, so the cached module entry is swapped for an object inheriting
 * from it): the compiler options stay in ts-register.js alone. The key is the TypeScript version, the options, the file name and the source text, so an
 * edited file is transpiled again; entries are written atomically (several processes share them).
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');
const cached = require.cache[require.resolve('typescript')];

const dir = path.join(os.tmpdir(), 'ticket-gateway-transpile-cache');
const transpile = ts.transpileModule;

function cachedTranspileModule(source, options) {
  const key = crypto
    .createHash('sha256')
    .update(`${ts.version}\0${JSON.stringify(options)}\0${source}`)
    .digest('hex');
  const file = path.join(dir, `${key}.js`);
  try {
    return { outputText: fs.readFileSync(file, 'utf8'), diagnostics: [] };
  } catch {
    // Not cached yet.
  }
  const result = transpile.call(ts, source, options);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, result.outputText);
    fs.renameSync(temporary, file);
  } catch {
    // A cache that cannot be written only costs time.
  }
  return result;
}

cached.exports = Object.create(ts, { transpileModule: { value: cachedTranspileModule } });
