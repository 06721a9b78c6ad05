/**
 * Architecture rules (issue 15, item 5), checked by `npm run lint:deps` (part of `npm run lint`,
 * hence of `npm test`). test/architecture/ shows that the rules bite, on fixtures.
 *
 * Type-only imports count (tsPreCompilationDeps): `import type { TicketDoc } from '../tickets/ticket.model'`
 * in a resolver ties it to the storage shape as much as a value import does, and a cycle of types
 * still means two folders cannot be understood (or deleted) one without the other.
 *
 * Domains (for "shared/ imports no domain"): the folders that own a part of the business, today
 * tickets, messages, ratings, legacy, idempotency, and those the roadmap announces (events,
 * webhooks, sla, attachments, migration), listed now so that they are covered the day they arrive.
 * Not domains, so shared/ may use them: auth (the viewer every visibility rule takes), errors (the
 * one hierarchy), config, db, limits, observability: cross-cutting infrastructure with no
 * business rules of its own. shared/ sits below the domains: they import it, never the reverse.
 */
const DOMAINS = ['tickets', 'messages', 'ratings', 'legacy', 'idempotency', 'events', 'webhooks', 'sla', 'attachments', 'migration'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, anywhere: each module (and folder) can be read, tested and moved on its own.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      scope: 'folder',
      comment: 'No cycles between folders either (tickets/ -> messages/ -> tickets/): a domain folder is read, and could be deleted, as a unit.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'embedded-mongo-standalone',
      severity: 'error',
      comment: 'src/embedded-mongo is a MongoDB wire-protocol server that happens to live here: it imports nothing from the app.',
      from: { path: '^src/embedded-mongo/' },
      to: { path: '^src/', pathNot: '^src/embedded-mongo/' },
    },
    {
      name: 'shared-imports-no-domain',
      severity: 'error',
      comment: `src/shared is below the domains (${DOMAINS.join(', ')}): they use it, it does not use them.`,
      from: { path: '^src/shared/' },
      to: { path: `^src/(${DOMAINS.join('|')})/` },
    },
    {
      name: 'legacy-no-service-or-model',
      severity: 'error',
      comment: 'The shim translates, never implements: /api/v1 runs named GraphQL operations, it does not call services or touch models.',
      from: { path: '^src/legacy/' },
      to: { path: '\\.(service|model)\\.ts$' },
    },
    {
      name: 'resolver-no-model',
      severity: 'error',
      comment: 'Resolvers are adapters: they call a service; the storage shape (a *.model.ts) never reaches them.',
      from: { path: '\\.resolver\\.ts$' },
      to: { path: '\\.model\\.ts$' },
    },
    {
      name: 'src-not-from-test-or-bench',
      severity: 'error',
      comment: 'Production code (the build is src/ only) cannot depend on tests or benchmarks.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing (a typo, a module moved without its importers) is a broken build.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|dist-bench|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json', '.d.ts'],
      mainFields: ['main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
