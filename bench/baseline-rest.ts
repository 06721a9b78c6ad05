/**
 * The hand-written alternative the GraphQL layer is measured against (benchmark only, never
 * deployed): plain express + mongoose `.lean()` on the same collections, models and indexes, with
 * the two reads of section 2 written the way one would by hand.
 *
 *   PORT=4100 MONGODB_URI=mongodb://127.0.0.1:27018/ MONGODB_DATABASE=bench_rest API_KEY=... ACCOUNT_ID=bench node dist/bench/baseline-rest.js
 *
 *   GET /tickets/:id                  the ticket and the first 50 messages of its conversation
 *   GET /tickets?status=open&limit=50 a page of the account's tickets with that status, id ascending
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import mongoose from 'mongoose';
import { ticketModels } from '../src/tickets/ticket.model';
import { messageModels } from '../src/messages/message.model';
import type { TicketRecord } from '../src/tickets/ticket.mapper';

type TicketRow = Pick<TicketRecord, '_id' | 'accountId' | 'userId' | 'subject' | 'type' | 'groupName' | 'priority' | 'status' | 'due' | 'assignedTo' | 'createdAt' | 'updatedAt'>;

interface MessageRow {
  seq: number;
  sender: string;
  senderName: string;
  body: string;
  showToUser: boolean;
  createdAt: Date;
}

const ticketJson = (t: TicketRow) => ({
  id: String(t._id),
  accountId: t.accountId,
  userId: t.userId,
  subject: t.subject,
  type: t.type,
  groupName: t.groupName,
  priority: t.priority,
  status: t.status,
  due: t.due.toISOString(),
  assignedTo: t.assignedTo,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 4100);
  const apiKey = process.env.API_KEY ?? '';
  const accountId = process.env.ACCOUNT_ID ?? 'default';
  const connection = await mongoose
    .createConnection(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/', {
      dbName: process.env.MONGODB_DATABASE ?? 'ticket_gateway',
      autoIndex: false,
      autoCreate: false,
      bufferCommands: false,
    })
    .asPromise();
  const { Ticket } = ticketModels(connection);
  const { Message } = messageModels(connection);

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.headers['x-api-key'] !== apiKey) {
      res.status(401).json({ error: 'unauthenticated' });
      return;
    }
    next();
  });

  app.get('/tickets/:id', async (req, res, next) => {
    try {
      const id = Number(req.params.id);
      if (!Number.isSafeInteger(id) || id <= 0) {
        res.status(400).json({ error: 'bad id' });
        return;
      }
      const [ticket, messages] = await Promise.all([
        Ticket.findOne({ _id: id, accountId }).lean<TicketRow>(),
        Message.find({ accountId, ticketId: id }).sort({ seq: 1 }).limit(51).lean<MessageRow[]>(),
      ]);
      if (!ticket) {
        res.status(404).json({ error: 'not found' });
        return;
      }
      res.json({
        ticket: ticketJson(ticket),
        messages: messages.slice(0, 50).map((m) => ({
          sender: m.sender,
          senderName: m.senderName,
          body: m.body,
          showToUser: m.showToUser,
          createdAt: m.createdAt.toISOString(),
        })),
        hasMoreMessages: messages.length > 50,
      });
    } catch (error) {
      next(error);
    }
  });

  app.get('/tickets', async (req, res, next) => {
    try {
      const limit = Math.min(200, Number(req.query.limit ?? 50));
      const filter: Record<string, unknown> = { accountId };
      if (typeof req.query.status === 'string') filter.status = req.query.status;
      if (typeof req.query.userId === 'string') filter.userId = Number(req.query.userId);
      const rows = await Ticket.find(filter)
        .sort({ _id: 1 })
        .limit(limit + 1)
        .lean<TicketRow[]>();
      const page = rows.slice(0, limit);
      res.json({ tickets: page.map(ticketJson), nextCursor: rows.length > limit ? String(page[page.length - 1]._id) : null });
    } catch (error) {
      next(error);
    }
  });

  const server = app.listen(port, '127.0.0.1');
  const stop = () => {
    server.close();
    void connection.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
