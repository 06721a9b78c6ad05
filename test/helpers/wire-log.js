/**
 * `node -r ./test/helpers/wire-log.js <a MongoDB wire server>`: prints a line for each command the
 * process receives, as it arrives and before the server reads it:
 *
 *   wire-command {"name":"insert","collection":"tickets","db":"outage"}
 *
 * The test that started the process reads them from its stdout: command monitoring on the server
 * side, for a client (a gateway process) whose driver events the test cannot see. Only OP_MSG
 * commands are printed (the driver's first handshake may be a legacy OP_QUERY).
 */
'use strict';
const net = require('node:net');
const { deserialize } = require('bson');

const OP_MSG = 2013;

/** The command of one OP_MSG frame (its section 0), described, or undefined. */
function describeFrame(frame) {
  if (frame.readInt32LE(12) !== OP_MSG) return undefined;
  const flags = frame.readUInt32LE(16);
  const end = frame.length - (flags & 1 ? 4 : 0);
  for (let at = 20; at < end;) {
    const kind = frame[at];
    const size = frame.readInt32LE(at + 1);
    if (kind === 0) {
      const command = deserialize(frame.subarray(at + 1, at + 1 + size));
      const name = Object.keys(command)[0];
      const target = command[name];
      const filterId = command.filter && command.filter._id;
      return {
        name,
        collection: typeof target === 'string' ? target : undefined,
        db: command.$db,
        ...(typeof filterId === 'string' ? { id: filterId } : {}),
      };
    }
    at += 1 + size;
  }
  return undefined;
}

function watch(socket) {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 16) {
      const length = pending.readInt32LE(0);
      // A frame the server will refuse (it closes the socket): nothing more to describe.
      if (length < 16) return;
      if (pending.length < length) return;
      const frame = pending.subarray(0, length);
      pending = pending.subarray(length);
      let command;
      try {
        command = describeFrame(frame);
      } catch {
        command = undefined;
      }
      if (command) process.stdout.write(`wire-command ${JSON.stringify(command)}\n`);
    }
  });
}

const emit = net.Server.prototype.emit;
net.Server.prototype.emit = function emitWatched(event, ...args) {
  if (event === 'connection') watch(args[0]);
  return emit.call(this, event, ...args);
};
