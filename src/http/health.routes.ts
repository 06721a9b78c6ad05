import { Router } from 'express';

export interface HealthDeps {
  /** True while the database answers. */
  databaseIsUp(): Promise<boolean>;
  /** True once indexes and the id counter exist. */
  isInitialised(): boolean;
  /** True from the first step of a graceful shutdown. */
  isDraining(): boolean;
}

/** `GET /healthz` (the database answers) and `GET /readyz` (ready for traffic: initialised, not draining). */
export function healthRoutes({ databaseIsUp, isInitialised, isDraining }: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const up = await databaseIsUp();
    res.status(up ? 200 : 503).json(up ? { status: 'ok' } : { status: 'error', reason: 'MongoDB is not reachable' });
  });
  router.get('/readyz', async (_req, res) => {
    if (isDraining()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const up = (await databaseIsUp()) && isInitialised();
    res.status(up ? 200 : 503).json({ status: up ? 'ready' : 'unavailable' });
  });
  return router;
}
