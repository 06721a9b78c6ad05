/**
 * An in-memory MongoDB speaking the wire protocol, for development and tests: the real `mongodb`
 * driver and mongoose connect to it over TCP. Data is lost when it stops.
 */
export { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from './server';
export { UNSUPPORTED, type Limitation } from './limits';
export { COMMANDS } from './commands';
