import { Kind, OperationTypeNode } from 'graphql';
import type { Config } from '../config';
import type { JsonSchema, ParamSpec } from './params';
import type { AnyRoute } from './route';

/** Statuses every endpoint may answer besides 200 and its own (`route.errors`). */
const COMMON_ERRORS = [400, 401, 403, 405, 413, 429, 500, 503] as const;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'A missing or malformed parameter, an unknown status, a bad date, or a body that is not scalar fields.',
  401: 'Credentials are required and missing or wrong.',
  403: "The caller may not do this (a user token on the legacy API; another user's ticket for V7/V8).",
  404: "No such ticket in the caller's account, or no such endpoint.",
  405: 'A method other than GET or POST.',
  409: "The ticket's state forbids it (a message on a closed ticket, reopening an open one, ...), or a request with the same Idempotency-Key is still running.",
  413: 'The body is larger than 1 MiB.',
  422: 'The Idempotency-Key was already used with a different request.',
  429: 'Rate limit hit; retry after `Retry-After` seconds.',
  500: 'Something unexpected; the message is only "Internal error (request <id>)".',
  503: 'The database is unreachable.',
};

function errorSchema(status: number): JsonSchema {
  return {
    type: 'object',
    properties: { status: { const: 'error' }, errorCode: { const: status }, message: { type: 'string', minLength: 1 } },
    required: ['status', 'errorCode', 'message'],
    additionalProperties: false,
  };
}

function errorResponse(status: number): JsonSchema {
  const headers: Record<string, JsonSchema> = {};
  if (status === 405) headers.Allow = { description: 'The allowed methods.', schema: { type: 'string' } };
  if (status === 429) headers['Retry-After'] = { description: 'Seconds to wait.', schema: { type: 'integer' } };
  return {
    description: ERROR_DESCRIPTIONS[status],
    ...(Object.keys(headers).length ? { headers } : {}),
    content: { 'application/json': { schema: { $ref: `#/components/schemas/Error${status}` } } },
  };
}

function documented(spec: ParamSpec<unknown>): JsonSchema {
  return { ...spec.schema, description: spec.description };
}

/** Rows that write (their operation is a mutation) accept an `Idempotency-Key`. */
function writes(route: AnyRoute): boolean {
  return route.operation.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.MUTATION);
}

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Makes a retry safe: the same key (per credential, for 24 h) with the same request replays the first answer and writes nothing.',
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
};

/** The operation of one URL form (`form` leading path parameters) and method. */
function operation(route: AnyRoute, form: number, method: 'get' | 'post'): JsonSchema {
  const inPath = route.pathParams.slice(0, form);
  const others = Object.entries(route.params).filter(([name]) => !inPath.includes(name));
  const parameters: JsonSchema[] = inPath.map((name) => ({
    name,
    in: 'path',
    required: true,
    description: route.params[name].description,
    schema: route.params[name].schema,
  }));
  if (writes(route)) parameters.push(IDEMPOTENCY_KEY);
  let requestBody: JsonSchema | undefined;
  if (method === 'get') {
    for (const [name, spec] of others) {
      parameters.push({ name, in: 'query', required: spec.required, description: spec.description, schema: spec.schema });
    }
  } else if (others.length) {
    const schema = {
      type: 'object',
      properties: Object.fromEntries(others.map(([name, spec]) => [name, documented(spec)])),
      required: others.filter(([, spec]) => spec.required).map(([name]) => name),
      description: 'Scalar fields only; a parameter missing from the body is read from the query string.',
    };
    requestBody = {
      required: others.some(([, spec]) => spec.required),
      content: {
        'application/x-www-form-urlencoded': { schema },
        'application/json': { schema },
        'multipart/form-data': { schema },
      },
    };
  }
  const statuses = [...new Set([...COMMON_ERRORS, ...route.errors, ...(writes(route) ? [409, 422] : [])])].sort((a, b) => a - b);
  const suffix = form === route.documentedPathForms[0] ? '' : form === 0 ? '_without_path' : `_by_${inPath.join('_')}`;
  return {
    operationId: `${route.name}${suffix}_${method}`,
    summary: route.summary,
    description: route.description,
    tags: ['tickets'],
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses: {
      200: { description: 'Success.', content: { 'application/json': { schema: route.success } } },
      ...Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }])),
    },
  };
}

/** The URL of one documented form: `/get_tickets/{userId}/{status}`. */
export function pathOf(route: AnyRoute, form: number): string {
  return `/${route.name}${route.pathParams
    .slice(0, form)
    .map((name) => `/{${name}}`)
    .join('')}`;
}

/**
 * The OpenAPI 3.1 document of /api/v1, derived from the route table: the same parameter specs that
 * coerce requests describe them here, and each row's success schema is the one its projector fills.
 */
export function buildOpenApi(routes: readonly AnyRoute[], config: Pick<Config, 'legacyTimezone'>): JsonSchema {
  const allStatuses = [...new Set([...COMMON_ERRORS, ...routes.flatMap((route) => [...route.errors, ...(writes(route) ? [409, 422] : [])])])].sort((a, b) => a - b);
  const paths: Record<string, JsonSchema> = {};
  for (const route of routes) {
    for (const form of route.documentedPathForms) {
      paths[pathOf(route, form)] = { get: operation(route, form, 'get'), post: operation(route, form, 'post') };
    }
  }
  paths['/openapi.json'] = {
    get: {
      operationId: 'openapi_get',
      summary: 'This document',
      tags: ['meta'],
      security: [],
      responses: { 200: { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tickets API (legacy /api/v1)',
      version: '1.0.0',
      description:
        'The original Tickets API (V1–V8), answered by translating each call into a GraphQL operation. ' +
        'Every endpoint answers GET and POST. Parameters: path segments first, then the body, then the query string. ' +
        `Every answer is a JSON envelope whose errorCode equals the HTTP status. Times are "YYYY-MM-DD HH:mm:ss" in ${config.legacyTimezone}.`,
    },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKeyHeader: [] }, { bearer: [] }, { apiKeyQuery: [] }],
    tags: [{ name: 'tickets', description: 'V1–V8' }],
    paths,
    components: {
      securitySchemes: {
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key, or an admin JWT (a user JWT gets 403).' },
        apiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key' },
      },
      schemas: Object.fromEntries(allStatuses.map((status) => [`Error${status}`, errorSchema(status)])),
      responses: Object.fromEntries(allStatuses.map((status) => [`Error${status}`, errorResponse(status)])),
    },
  };
}
