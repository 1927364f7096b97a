import { createServer, type Server } from 'node:http';
import type { Services } from '../app/services';
import { createApp, createTrackingHits } from './app';

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startHttp(services: Services, port: number): Promise<HttpServer> {
  const hits = createTrackingHits(services);
  const app = createApp(services, hits);
  // The open pixel and tracked links are answered on node:http before Express: the bulk of all requests.
  const server: Server = await new Promise((resolve, reject) => {
    const s = createServer((req, res) => {
      if (!hits.handle(req, res)) app(req, res);
    });
    s.listen(port, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is already in use: stop the other process or set PORT`) : err),
    );
  });
  const actual = (server.address() as { port: number }).port;
  services.log.info({ event: 'http.listening', port: actual }, `listening on ${services.config.publicUrl}`);
  return {
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Live-progress streams never end on their own.
        (app.locals.closeStreams as (() => void) | undefined)?.();
        server.closeIdleConnections();
      }),
  };
}
