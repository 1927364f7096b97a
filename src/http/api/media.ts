import multer from 'multer';
import { z } from 'zod';
import { mediaStoreFor, MediaRejected } from '../../media/media-store';
import { ApiError, route } from './route';

const stored = z
  .object({ name: z.string(), url: z.string(), contentType: z.string(), width: z.number(), height: z.number(), bytes: z.number(), created: z.boolean(), scaled: z.boolean() })
  .meta({ id: 'Media' });

/**
 * POST /api/media: one image as multipart/form-data (field `file`), checked by its bytes (PNG, JPEG, GIF,
 * WebP; no SVG), at most MEDIA_MAX_BYTES, stored once under MEDIA_DIR. The answer's `url` goes into an issue.
 * A refused upload answers 4xx and stores nothing; the upload is held in memory only (it is at most the limit).
 */
export const mediaRoutes = [
  route({
    method: 'post', path: '/media', tag: 'media', summary: 'Upload an image for issues (multipart/form-data, field "file"); answers its public URL', status: 201,
    raw: { contentType: 'multipart/form-data', description: 'A form with one file field named `file`: a PNG, JPEG, GIF or WebP image' },
    response: stored,
    uses: ['config'],
    handler: async ({ services, req, res }) => {
      if (!req.is('multipart/form-data')) throw new ApiError('UNSUPPORTED_MEDIA', 'body: send the image as multipart/form-data with a field named "file"', 'body');
      const store = mediaStoreFor(services.config);
      const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: store.options.maxBytes, files: 1, fields: 10 } }).single('file');
      await new Promise<void>((resolve, reject) =>
        upload(req, res, (err: unknown) => {
          if (!err) return resolve();
          const code = (err as { code?: string }).code;
          if (code === 'LIMIT_FILE_SIZE') reject(new ApiError('TOO_LARGE', `file: the image is larger than the ${Math.round(store.options.maxBytes / 1024 / 1024)} MB limit (MEDIA_MAX_BYTES)`, 'file'));
          else if (code === 'LIMIT_UNEXPECTED_FILE' || code === 'LIMIT_FILE_COUNT') reject(new ApiError('INVALID_INPUT', 'file: send exactly one file, in a field named "file"', 'file'));
          else reject(new ApiError('INVALID_INPUT', `body: the multipart form could not be read (${(err as Error).message})`, 'body'));
        }),
      );
      if (!req.file) throw new ApiError('INVALID_INPUT', 'file: no file in the form: send the image in a field named "file"', 'file');
      try {
        // 201 either way; `created` is false when the same image was already stored (same URL).
        return await store.put(req.file.buffer, `file '${req.file.originalname}'`);
      } catch (err) {
        if (err instanceof MediaRejected) throw new ApiError(err.status === 413 ? 'TOO_LARGE' : err.status === 415 ? 'UNSUPPORTED_MEDIA' : 'INVALID_INPUT', `file: ${err.message}`, 'file');
        throw err;
      }
    },
  }),
];
