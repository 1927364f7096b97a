import { z } from 'zod';
import { createImportJob, finishImportJob, getImportJob, listImportRejections, reopenImportJob, type ImportJob } from '../../db/imports';
import { getListBySlug } from '../../db/lists';
import type { Services } from '../../app/services';
import type { Request } from 'express';
import { importCsv, type ImportReport } from '../../imports/csv-import';
import { ApiError, route } from './route';
import * as s from './schemas';

const CSV_BODY = {
  contentType: 'text/csv',
  description:
    "The file, streamed: a service's export (Mailchimp, Substack, listmonk, Ghost, Kit, Buttondown, beehiiv; recognised from its header) or a CSV with email, optional name, status and attribute columns (optionally typed, e.g. age:number). Comma, semicolon or tab separated; UTF-8, UTF-16, GB18030, Shift_JIS or Windows-1252 (detected).",
};
/** How the file is read: the same options as `tidings import`. */
const readingQuery = {
  from: s.importSource.optional(),
  encoding: s.importEncoding.optional(),
  fileName: z.string().max(300).optional().meta({ description: 'the uploaded file\'s name: Mailchimp puts the status in it (unsubscribed_members_export_….csv)' }),
};
const reading = (report: ImportReport) => ({
  shape: report.source,
  shapeLabel: report.sourceLabel,
  detected: report.detected,
  encoding: report.encoding,
  delimiter: report.delimiter,
  rowsRead: report.rowsRead,
  rejectedCount: report.rejectedCount,
  statuses: report.statuses,
});
type ReadingQuery = { from?: z.infer<typeof s.importSource>; encoding?: z.infer<typeof s.importEncoding>; fileName?: string };

/** Streams the request body into the job; the job row shows progress meanwhile (GET /api/imports/:id). */
async function runImport(services: Pick<Services, 'pool' | 'log'>, job: ImportJob, req: Request, resume: boolean, how: ReadingQuery) {
  try {
    const report = await importCsv(services.pool, job.listId, req, {
      ...how,
      status: job.subscriptionStatus,
      jobId: job.id,
      resumeAfterLine: resume ? job.checkpointLine : 0,
      maxReported: 100,
    });
    await finishImportJob(services.pool, job.id);
    services.log.info({ event: 'import.finished', importId: job.id, imported: report.imported, rejected: report.rejectedCount }, 'import finished');
    return { ...(await getImportJob(services.pool, job.id)), firstRejected: report.rejected, reading: reading(report) };
  } catch (err) {
    await finishImportJob(services.pool, job.id, (err as Error).message);
    throw err;
  }
}

export const importRoutes = [
  route({
    method: 'post', path: '/lists/:slug/imports', tag: 'imports', summary: 'Upload a CSV into a list in one request (streamed); answers with the finished import', status: 201,
    params: z.object({ slug: s.slug }), query: z.object({ status: s.subscriptionStatus.default('confirmed'), ...readingQuery }), raw: CSV_BODY,
    response: s.importJob.extend({ firstRejected: z.array(s.rejection), reading: s.importReading }),
    uses: ['pool', 'log'],
    handler: async ({ services, params, query, req }) => {
      const list = await getListBySlug(services.pool, params.slug);
      const job = await createImportJob(services.pool, { listId: list.id, source: query.fileName ?? 'api', subscriptionStatus: query.status });
      return runImport(services, job, req, false, query);
    },
  }),
  route({
    method: 'post', path: '/lists/:slug/imports/dry-run', tag: 'imports',
    summary: 'Read and check an upload without writing anything: how it was read, counts by resulting status, the first rejected rows',
    params: z.object({ slug: s.slug }), raw: CSV_BODY,
    query: z.object({ status: s.subscriptionStatus.default('confirmed'), ...readingQuery, sample: z.coerce.number().int().min(0).max(50).default(0).meta({ description: 'how many of the first accepted rows to answer with, as they map' }) }),
    response: s.importReading.extend({ wouldImport: z.number(), firstRejected: z.array(s.rejection), columns: z.array(z.string()), sample: z.array(s.importSample) }),
    uses: ['pool', 'log'],
    handler: async ({ services, params, query, req }) => {
      const list = await getListBySlug(services.pool, params.slug);
      const report = await importCsv(services.pool, list.id, req, { ...query, dryRun: true, maxReported: 100 });
      return { ...reading(report), wouldImport: report.imported, firstRejected: report.rejected, columns: report.columns, sample: report.sample };
    },
  }),
  route({
    method: 'post', path: '/imports', tag: 'imports', summary: 'Create an import job first, to know its id (for progress) before uploading', status: 201,
    body: z.object({ list: s.slug, status: s.subscriptionStatus.default('confirmed'), source: z.string().max(200).default('api') }),
    response: s.importJob,
    uses: ['pool'],
    handler: async ({ services, body }) => {
      const list = await getListBySlug(services.pool, body.list);
      return createImportJob(services.pool, { listId: list.id, source: body.source, subscriptionStatus: body.status });
    },
  }),
  route({
    method: 'put', path: '/imports/:id/csv', tag: 'imports', summary: 'Upload the CSV of an import job; with resume=true, lines up to its checkpoint are skipped',
    params: z.object({ id: s.id }), query: z.object({ resume: z.enum(['true', 'false']).default('false'), ...readingQuery }), raw: CSV_BODY,
    response: s.importJob.extend({ firstRejected: z.array(s.rejection), reading: s.importReading }),
    uses: ['pool', 'log'],
    handler: async ({ services, params, query, req }) => {
      const job = await getImportJob(services.pool, params.id);
      if (job.status === 'running' && job.rowsRead > 0) throw new ApiError('SEND_STATE', `import ${job.id} is running`);
      if (job.status === 'finished' && query.resume !== 'true') throw new ApiError('SEND_STATE', `import ${job.id} has finished; pass resume=true to run it again`);
      await reopenImportJob(services.pool, job.id);
      return runImport(services, job, req, query.resume === 'true', query);
    },
  }),
  route({
    method: 'get', path: '/imports/:id', tag: 'imports', summary: 'An import with its progress (rows read, imported, rejected, checkpoint line)',
    params: z.object({ id: s.id }), response: s.importJob,
    uses: ['pool'],
    handler: async ({ services, params }) => getImportJob(services.pool, params.id),
  }),
  route({
    method: 'get', path: '/imports/:id/rejections', tag: 'imports', summary: 'The rejected rows of an import, by line',
    params: z.object({ id: s.id }), query: z.object({ after: z.coerce.number().int().min(0).default(0), limit: s.limit(10_000, 1000) }),
    response: z.object({ rejections: z.array(s.rejection) }),
    uses: ['pool'],
    handler: async ({ services, params, query }) => {
      await getImportJob(services.pool, params.id);
      return { rejections: await listImportRejections(services.pool, params.id, query.limit, query.after) };
    },
  }),
];
