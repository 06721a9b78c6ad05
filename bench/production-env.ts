/**
 * Imported first by bench/run.ts: the in-process sections (layers, commands) must run libraries as
 * the deployed gateway does. graphql-js, for one, decides at load time from NODE_ENV whether to run
 * its development-only `instanceOf` checks, which cost ~12% of executing a 50-ticket page.
 */
process.env.NODE_ENV = 'production';
