/**
 * `node -r ./test/helpers/ts-register.js file.ts`: runs TypeScript without a build step by
 * transpiling each required .ts file with the project's own TypeScript (no type checking).
 * Used by tests that spawn a separate process (the embedded MongoDB CLI).
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  inlineSourceMap: true,
};

require.extensions['.ts'] = function register(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
