import { Router } from 'express';
import type { Services } from '../../app/services';
import { ping } from '../../db/pool';

/** GET /healthz: 200 when PostgreSQL and Redis answer, 503 naming the one that does not. */
export function healthRoutes(services: Pick<Services, 'pool' | 'redis'>): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const timeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
    const [postgres, redis] = await Promise.all([
      timeout(ping(services.pool)).then(() => 'ok', (err: Error) => `error: ${err.message}`),
      timeout(services.redis.ping()).then(() => 'ok', (err: Error) => `error: ${err.message}`),
    ]);
    const healthy = postgres === 'ok' && redis === 'ok';
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'unavailable', postgres, redis });
  });
  return router;
}
