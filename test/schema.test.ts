import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { parse as parseYaml } from 'yaml';
import { buildAppSchema, printAppSchema } from '../src/schema';

const root = join(__dirname, '..');

describe('schema artifacts', () => {
  it('schema/schema.graphql matches the TypeGraphQL classes (run `npm run schema`)', async () => {
    const committed = readFileSync(join(root, 'schema/schema.graphql'), 'utf8');
    expect(printAppSchema(await buildAppSchema())).toBe(committed);
  });

  it('describes every type, field and argument, for Sandbox', async () => {
    const schema = await buildAppSchema();
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Boolean', 'ID', 'Float', 'Query', 'Mutation', 'Subscription'].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if ('getFields' in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.values(root!.getFields())) {
        if (!field.description) missing.push(`${root!.name}.${field.name}`);
        for (const arg of field.args) if (!arg.description && arg.type.toString().endsWith('Input!') === false) missing.push(`${root!.name}.${field.name}(${arg.name})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the committed codegen output matches the operations (run `npm run codegen`)', async () => {
    const outputs = await generate({ cwd: root, ...(parseYaml(readFileSync(join(root, 'codegen.yml'), 'utf8')) as object), silent: true } as never, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs as Array<{ filename: string; content: string }>) {
      expect(readFileSync(join(root, output.filename), 'utf8')).toBe(output.content);
    }
  }, 60000);
});
