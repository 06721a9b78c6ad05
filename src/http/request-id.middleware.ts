import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { headerOf } from '../auth/request-auth';
import type { Logger } from '../shared/logger';
import { newRequestId } from '../shared/request-id';

/**
 * Gives every request an id (the client's `X-Request-Id` when it is a sane token), echoes it back and
 * writes the access log line. Nothing is timed or listened for when info lines are not written.
 */
export function requestIdMiddleware(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = headerOf(req, 'x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : newRequestId();
    res.setHeader('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    if (logger.isLevelEnabled('info')) {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        logger.info({ requestId, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
      });
    }
    next();
  };
}
