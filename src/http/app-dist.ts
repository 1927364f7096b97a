import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build:app` writes the operator app (never committed). This file sits two levels below the
 * project root, as the compiled CLI in dist/cli/ does, so the path holds for both.
 */
export const APP_DIST = fileURLToPath(new URL('../../dist/app', import.meta.url));
