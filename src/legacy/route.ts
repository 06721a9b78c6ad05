import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Kind } from 'graphql';
import type { JsonSchema, ParamSpecs, ValuesOf } from './params';

/** What a row needs besides its parameters. */
export interface LegacyEnv {
  /** LEGACY_TIMEZONE: the zone legacy times are read and written in. */
  timeZone: string;
}

/**
 * One row of the legacy route table: `GET|POST /api/v1/<name>[/<pathParams>...]` executed as one named
 * GraphQL operation (several pages of it for a connection) through Apollo, in-process. A row holds no
 * business rule: `variables` only converts legacy parameters into the operation's variables, and
 * `project` only reshapes the operation's data into the legacy JSON. Every rule, limit and error comes
 * from the GraphQL layer.
 */
export interface LegacyRoute<P extends ParamSpecs, TVars, TData> {
  /** The first path segment after /api/v1. */
  readonly name: string;
  readonly summary: string;
  readonly description: string;
  /** Every legacy parameter; the same specs coerce values and document them in OpenAPI. */
  readonly params: P;
  /** Parameters that may be given as path segments, in order (each may also come from body or query). */
  readonly pathParams: ReadonlyArray<keyof P & string>;
  /**
   * The documented URL forms, as how many leading path parameters each has, canonical form first
   * (e.g. 1, 2, 3 and 0 for get_tickets: 0 is `/get_tickets` with every parameter in the body or query).
   */
  readonly documentedPathForms: readonly number[];
  /** The named operation from `operations/*.graphql` (typed by codegen). */
  readonly operation: TypedDocumentNode<TData, TVars>;
  /** GraphQL argument/field names → legacy parameter names, for messages of errors raised by the GraphQL layer. */
  readonly names: Readonly<Record<string, string>>;
  /** Legacy values → the operation's variables (of its first page). */
  variables(values: ValuesOf<P>, env: LegacyEnv): TVars;
  /** For connections: the variables of the next page, or undefined when every needed page is in. */
  nextPage?(page: TData, variables: TVars, pages: readonly TData[], values: ValuesOf<P>): TVars | undefined;
  /** The operation's data (every page) → the legacy success body, keys in the contract's order. */
  project(pages: readonly TData[], values: ValuesOf<P>, env: LegacyEnv): Record<string, unknown>;
  /** JSON Schema of the success body, for the OpenAPI document. */
  readonly success: JsonSchema;
  /** Error statuses this endpoint can answer besides the common ones (400, 401, 403, 405, 413, 429, 500, 503). */
  readonly errors: readonly number[];
}

/** A row with its types erased, for the table. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = LegacyRoute<ParamSpecs, any, any>;

/** Keeps a row's parameter, variable and data types checked against each other, then erases them. */
export function defineRoute<P extends ParamSpecs, TVars, TData>(route: LegacyRoute<P, TVars, TData>): AnyRoute {
  return route as unknown as AnyRoute;
}

/** The name of the document's operation (the `operationName` sent to Apollo). */
export function operationNameOf(document: TypedDocumentNode<unknown, unknown>): string {
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) return definition.name.value;
  }
  throw new Error('a legacy operation document must hold one named operation');
}
