import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { AppError, graphQLErrorBody, httpStatusOf, maskedError } from '../errors';
import type { Logger } from '../shared/logger';

/** What nothing else answered: the API is at /graphql. */
export function notFound(_req: Request, res: Response): void {
  const error = new AppError('NOT_FOUND', 'Not found: the API is at /graphql');
  res.status(httpStatusOf(error.code)).json(graphQLErrorBody(error));
}

/**
 * The last error handler: an AppError with the table's status, a body express could not read
 * (too large, not JSON) as the client's mistake, anything else masked and logged with the request id.
 */
export function errorHandler(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    let answer: AppError;
    if (error instanceof AppError) answer = error;
    else if (status === 413) answer = new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB');
    else if (status < 500) answer = new AppError('BAD_USER_INPUT', 'The request body is not valid JSON');
    else {
      const requestId = String(res.locals.requestId);
      logger.error({ requestId, err: error }, 'unhandled error');
      res.status(500).json({ errors: [maskedError(requestId)] });
      return;
    }
    res.status(httpStatusOf(answer.code)).json(graphQLErrorBody(answer));
  };
}

/**
 * The body a surface answers a request Node's HTTP parser refused with, or undefined when the request
 * is not that surface's (told by the start of the raw request, e.g. `POST /api/v1/...`).
 */
export type ParserErrorBody = (requestStart: string, status: number, error: AppError) => unknown;

/**
 * Requests Node's HTTP parser refuses before express runs (a request line or headers over 16 KiB: 431,
 * a malformed request: 400) still get a JSON answer: the first surface that claims the request shapes
 * it, else a GraphQL error body.
 */
export function answerParserErrors(httpServer: Server, surfaces: readonly ParserErrorBody[]): void {
  httpServer.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (!socket.writable || !error.code?.startsWith('HPE_')) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const refusal = tooLarge
      ? new AppError('BAD_USER_INPUT', 'The request line and headers must be under 16 KiB: send large values in the body')
      : new AppError('BAD_USER_INPUT', 'The request is not valid HTTP');
    const status = tooLarge ? 431 : 400;
    const start = error.rawPacket?.subarray(0, 64).toString('latin1') ?? '';
    let body: unknown;
    for (const surface of surfaces) if ((body = surface(start, status, refusal)) !== undefined) break;
    const text = JSON.stringify(body ?? graphQLErrorBody(refusal));
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  });
}
