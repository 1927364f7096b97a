import { Router } from 'express';
import type { Services } from '../../app/services';
import { mediaStoreFor } from '../../media/media-store';

const TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

/**
 * GET /media/<name>: the media store's images. A name is the hash of the image's bytes, so a file never
 * changes: mail clients and proxies may keep it for a year. Only names the store gives out are served.
 */
export function mediaRoutes(services: Services): Router {
  const router = Router();
  const store = mediaStoreFor(services.config);
  router.get('/media/:name', (req, res, next) => {
    const file = store.fileOf(req.params.name);
    if (!file) return next();
    res.sendFile(file, {
      headers: { 'Content-Type': TYPES[req.params.name.split('.').pop()!], 'Cache-Control': 'public, max-age=31536000, immutable' },
      lastModified: false,
      cacheControl: false,
    }, (err) => {
      if (err && !res.headersSent) next();
    });
  });
  return router;
}
