/**
 * The OpenAPI 3.1 document of /api/v1 is derived from the route table, so it describes every
 * endpoint and parameter with the exact key sets of the envelopes; and the route table's operations
 * are the committed .graphql files, valid against the committed schema, with codegen output in sync.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { buildSchema, Kind, parse, print, validate, type DocumentNode } from 'graphql';
import { buildOpenApi, pathOf } from '../../src/legacy/openapi';
import { LEGACY_ROUTES } from '../../src/legacy/routes';
import { operationNameOf } from '../../src/legacy/route';
import * as generated from '../../src/legacy/operations/generated';

const doc = buildOpenApi(LEGACY_ROUTES, { legacyTimezone: 'UTC' }) as any;
const OPERATIONS_DIR = join(__dirname, '../../src/legacy/operations');

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with the three credential schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKeyHeader', 'apiKeyQuery', 'bearer']);
    expect(doc.components.securitySchemes.apiKeyHeader).toEqual({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(doc.components.securitySchemes.apiKeyQuery).toEqual({ type: 'apiKey', in: 'query', name: 'api_key' });
  });

  it('describes V1–V8, each with GET and POST, and every parameter of its row', () => {
    const names = LEGACY_ROUTES.map((route) => route.name);
    expect(names).toEqual(['raise_ticket', 'get_tickets', 'send_message', 'get_ticket_details', 'close_ticket', 'assign_ticket_to_admin', 'reopen_ticket', 'ticket_rating']);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/raise_ticket',
        '/get_tickets/{userId}',
        '/get_tickets/{userId}/{status}',
        '/get_tickets/{userId}/{status}/{assigned_admin}',
        '/send_message',
        '/get_ticket_details/{ticketId}',
        '/close_ticket/{ticketId}',
        '/assign_ticket_to_admin',
        '/reopen_ticket',
        '/ticket_rating',
      ]),
    );
    for (const route of LEGACY_ROUTES) {
      for (const form of route.documentedPathForms) {
        const item = doc.paths[pathOf(route, form)];
        expect(Object.keys(item).sort()).toEqual(['get', 'post']);
        const get = item.get.parameters.filter((p: any) => p.in !== 'header').map((p: any) => `${p.in}:${p.name}`);
        const inPath = route.pathParams.slice(0, form);
        const expected = Object.keys(route.params).map((name) => `${inPath.includes(name) ? 'path' : 'query'}:${name}`);
        expect(get.sort()).toEqual(expected.sort());
        const post = item.post;
        const bodyNames = Object.keys(route.params).filter((name) => !inPath.includes(name));
        if (bodyNames.length) {
          expect(Object.keys(post.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
          expect(Object.keys(post.requestBody.content['application/json'].schema.properties).sort()).toEqual(bodyNames.sort());
          expect(post.requestBody.content['application/json'].schema.required.sort()).toEqual(bodyNames.filter((n) => route.params[n].required).sort());
        }
        for (const operation of [item.get, item.post]) {
          for (const status of ['200', '400', '401', '403', '405', '413', '429', '500', '503']) expect(operation.responses[status]).toBeDefined();
        }
      }
    }
    const writers = ['raise_ticket', 'send_message', 'close_ticket', 'assign_ticket_to_admin', 'reopen_ticket', 'ticket_rating'];
    for (const route of LEGACY_ROUTES) {
      const headers = doc.paths[pathOf(route, route.documentedPathForms[0])].post.parameters.filter((p: any) => p.in === 'header').map((p: any) => p.name);
      expect(headers).toEqual(writers.includes(route.name) ? ['Idempotency-Key'] : []);
    }
    const ids = Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every envelope its exact key set', () => {
    const closed = (schema: any) => {
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
      expect([...schema.required].sort()).toEqual(Object.keys(schema.properties).sort());
    };
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      closed(schema);
      expect(Object.keys(schema.properties)).toEqual(['status', 'errorCode', 'message']);
      expect(schema.properties.errorCode).toEqual({ const: Number(name.replace('Error', '')) });
    }
    const keys = (path: string) => Object.keys(doc.paths[path].post.responses['200'].content['application/json'].schema.properties);
    expect(keys('/raise_ticket')).toEqual(['status', 'errorCode', 'message', 'ticketId']);
    expect(keys('/get_tickets/{userId}')).toEqual(['status', 'errorCode', 'data']);
    expect(keys('/reopen_ticket')).toEqual(['status', 'message', 'errorCode']);
    expect(keys('/ticket_rating')).toEqual(['status', 'message', 'errorCode']);
    const ticket = doc.paths['/get_tickets/{userId}'].get.responses['200'].content['application/json'].schema.properties.data.items.properties.Ticket;
    closed(ticket);
    expect(Object.keys(ticket.properties)).toEqual(['id', 'account_id', 'user', 'subject', 'type', 'priority', 'due', 'status', 'assigned_to', 'group_name', 'created']);
    const details = doc.paths['/get_ticket_details/{ticketId}'].get.responses['200'].content['application/json'].schema.properties.message;
    closed(details);
    closed(details.properties.ticket_conversation.items);
    closed(details.properties.ticket_details);
  });

  it("compiles with ajv (JSON Schema 2020-12), and its schemas accept the contract's samples", () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi.json');
    const check = (pointer: string, sample: unknown) => {
      const validateFn = ajv.getSchema(`openapi.json#${pointer}`);
      expect(validateFn).toBeDefined();
      expect(validateFn!(sample)).toBe(true);
    };
    check('/paths/~1raise_ticket/post/responses/200/content/application~1json/schema', {
      status: 'success',
      errorCode: 200,
      message: 'Your ticket with the ID 91 has been raised. Please wait for the response and note the ticket Id for future reference.',
      ticketId: '91',
    });
    check('/paths/~1reopen_ticket/post/responses/200/content/application~1json/schema', { status: 'success', message: 'Ticket has been reopened successfully', errorCode: 200 });
    check('/components/schemas/Error400', { status: 'error', errorCode: 400, message: 'userId is required and must be a positive integer' });
    const error = ajv.getSchema('openapi.json#/components/schemas/Error404')!;
    expect(error({ status: 'error', errorCode: 400, message: 'x' })).toBe(false);
    expect(error({ status: 'error', errorCode: 404, message: 'x', stack: 'y' })).toBe(false);
  });
});

describe('the operations', () => {
  const schema = buildSchema(readFileSync(join(__dirname, '../../schema/schema.graphql'), 'utf8'));
  const files = readdirSync(OPERATIONS_DIR).filter((file) => file.endsWith('.graphql'));

  it('are named, valid against the committed schema, one per file, and used by exactly one row each', () => {
    const used = LEGACY_ROUTES.map((route) => operationNameOf(route.operation));
    expect(new Set(used).size).toBe(LEGACY_ROUTES.length);
    const declared: string[] = [];
    for (const file of files) {
      const document = parse(readFileSync(join(OPERATIONS_DIR, file), 'utf8'));
      expect(validate(schema, document)).toEqual([]);
      const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      expect(operations).toHaveLength(1);
      declared.push(operationNameOf(document as DocumentNode));
    }
    expect(declared.sort()).toEqual([...used].sort());
  });

  it('match the codegen output (run `npm run codegen` after editing a .graphql file)', () => {
    for (const file of files) {
      const document = parse(readFileSync(join(OPERATIONS_DIR, file), 'utf8'));
      const name = operationNameOf(document as DocumentNode);
      const typed = (generated as Record<string, unknown>)[`${name}Document`] as DocumentNode | undefined;
      expect(typed).toBeDefined();
      expect(print(typed!)).toBe(print(document));
    }
  });
});
