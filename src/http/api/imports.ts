import { z } from 'zod';
import { createImportJob, finishImportJob, getImportJob, listImportRejections, reopenImportJob, type ImportJob } from '../../db/imports';
import { getListBySlug } from '../../db/lists';
import type { Services } from '../../app/services';
import type { Request } from 'express';
import { importCsv } from '../../imports/csv-import';
import { ApiError, route } from './route';
import * as s from './schemas';

const CSV_BODY = { contentType: 'text/csv', description: 'The CSV file, streamed: a header row with email, optional name and attribute columns (optionally typed, e.g. age:number)' };

/** Streams the request body into the job; the job row shows progress meanwhile (GET /api/imports/:id). */
async function runImport(services: Services, job: ImportJob, req: Request, resume: boolean) {
  try {
    const report = await importCsv(services.pool, job.listId, req, {
      status: job.subscriptionStatus,
      jobId: job.id,
      resumeAfterLine: resume ? job.checkpointLine : 0,
      maxReported: 100,
    });
    await finishImportJob(services.pool, job.id);
    services.log.info({ event: 'import.finished', importId: job.id, imported: report.imported, rejected: report.rejectedCount }, 'import finished');
    return { ...(await getImportJob(services.pool, job.id)), firstRejected: report.rejected };
  } catch (err) {
    await finishImportJob(services.pool, job.id, (err as Error).message);
    throw err;
  }
}

export const importRoutes = [
  route({
    method: 'post', path: '/lists/:slug/imports', tag: 'imports', summary: 'Upload a CSV into a list in one request (streamed); answers with the finished import', status: 201,
    params: z.object({ slug: s.slug }), query: z.object({ status: s.subscriptionStatus.default('confirmed') }), raw: CSV_BODY,
    response: s.importJob.extend({ firstRejected: z.array(s.rejection) }),
    handler: async ({ services, params, query, req }) => {
      const list = await getListBySlug(services.pool, params.slug);
      const job = await createImportJob(services.pool, { listId: list.id, source: 'api', subscriptionStatus: query.status });
      return runImport(services, job, req, false);
    },
  }),
  route({
    method: 'post', path: '/imports', tag: 'imports', summary: 'Create an import job first, to know its id (for progress) before uploading', status: 201,
    body: z.object({ list: s.slug, status: s.subscriptionStatus.default('confirmed'), source: z.string().max(200).default('api') }),
    response: s.importJob,
    handler: async ({ services, body }) => {
      const list = await getListBySlug(services.pool, body.list);
      return createImportJob(services.pool, { listId: list.id, source: body.source, subscriptionStatus: body.status });
    },
  }),
  route({
    method: 'put', path: '/imports/:id/csv', tag: 'imports', summary: 'Upload the CSV of an import job; with resume=true, lines up to its checkpoint are skipped',
    params: z.object({ id: s.id }), query: z.object({ resume: z.enum(['true', 'false']).default('false') }), raw: CSV_BODY,
    response: s.importJob.extend({ firstRejected: z.array(s.rejection) }),
    handler: async ({ services, params, query, req }) => {
      const job = await getImportJob(services.pool, params.id);
      if (job.status === 'running' && job.rowsRead > 0) throw new ApiError(409, 'SEND_STATE', `import ${job.id} is running`);
      if (job.status === 'finished' && query.resume !== 'true') throw new ApiError(409, 'SEND_STATE', `import ${job.id} has finished; pass resume=true to run it again`);
      await reopenImportJob(services.pool, job.id);
      return runImport(services, job, req, query.resume === 'true');
    },
  }),
  route({
    method: 'get', path: '/imports/:id', tag: 'imports', summary: 'An import with its progress (rows read, imported, rejected, checkpoint line)',
    params: z.object({ id: s.id }), response: s.importJob,
    handler: async ({ services, params }) => getImportJob(services.pool, params.id),
  }),
  route({
    method: 'get', path: '/imports/:id/rejections', tag: 'imports', summary: 'The rejected rows of an import, by line',
    params: z.object({ id: s.id }), query: z.object({ after: z.coerce.number().int().min(0).default(0), limit: s.limit(10_000, 1000) }),
    response: z.object({ rejections: z.array(s.rejection) }),
    handler: async ({ services, params, query }) => {
      await getImportJob(services.pool, params.id);
      return { rejections: await listImportRejections(services.pool, params.id, query.limit, query.after) };
    },
  }),
];
