import { z } from 'zod';
import { checkEmailAddress } from '../../mail/email-address';

/** Schemas shared by the API routes and the OpenAPI document. */
export const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits and dashes').meta({ example: 'weekly' });
export const id = z.coerce.number().int().positive().meta({ example: 42 });
export const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);
export const subscriptionStatus = z.enum(['confirmed', 'unconfirmed']);
/** An address checked by the one validator (src/mail/email-address.ts); the handler gets its stored form. */
export const emailAddress = z
  .string()
  .transform((value, ctx) => {
    const check = checkEmailAddress(value);
    if (check.ok) return check.address;
    ctx.addIssue({ code: 'custom', message: check.problem });
    return z.NEVER;
  })
  .meta({ example: 'ada@example.com' });

export const errorBody = z
  .object({ error: z.object({ code: z.string().meta({ example: 'INVALID_INPUT' }), message: z.string(), field: z.string().optional() }) })
  .meta({ id: 'Error' });

export const list = z
  .object({
    id: z.number(),
    slug,
    name: z.string(),
    doubleOptIn: z.boolean(),
    publicArchive: z.boolean().optional().meta({ description: 'the issues sent to this list are in the public archive (/archive, /archive/feed.xml)' }),
    language: z.string().optional().meta({ example: 'zh-CN' }),
    fromName: z.string().nullable().optional().meta({ description: "null: MAIL_FROM's" }),
    fromAddress: z.string().nullable().optional().meta({ description: "null: MAIL_FROM's" }),
    createdAt: z.string().optional(),
    subscriptions: z.object({ confirmed: z.number(), unconfirmed: z.number(), unsubscribed: z.number() }).optional(),
  })
  .meta({ id: 'List' });

export const subscriber = z
  .object({
    id: z.number(),
    email: z.string(),
    name: z.string(),
    status: z.enum(['active', 'blocked']),
    attributes: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    subscriptions: z.array(z.object({ list: z.string(), status: z.string(), createdAt: z.string() })),
  })
  .meta({ id: 'Subscriber' });

export const importJob = z
  .object({
    id: z.number(),
    listId: z.number(),
    source: z.string(),
    status: z.enum(['running', 'finished', 'failed']),
    subscriptionStatus,
    rowsRead: z.number(),
    imported: z.number(),
    subscribed: z.number(),
    rejected: z.number(),
    checkpointLine: z.number(),
    error: z.string().nullable(),
  })
  .meta({ id: 'ImportJob' });

export const rejection = z.object({ line: z.number(), reason: z.string() }).meta({ id: 'RejectedRow' });

export const importSource = z.enum(['mailchimp', 'substack', 'listmonk', 'ghost', 'kit', 'buttondown', 'beehiiv', 'csv']);
export const importEncoding = z.enum(['utf-8', 'utf-16le', 'utf-16be', 'gb18030', 'shift_jis', 'windows-1252']);
/** How an uploaded file was read, and what its rows became. */
export const importReading = z
  .object({
    shape: importSource,
    shapeLabel: z.string().meta({ example: 'Mailchimp audience export' }),
    detected: z.boolean().meta({ description: 'true when the shape was recognised from the header, false when `from` named it' }),
    encoding: importEncoding,
    delimiter: z.enum([',', ';', '\t']),
    rowsRead: z.number(),
    rejectedCount: z.number(),
    statuses: z.object({ confirmed: z.number(), unconfirmed: z.number(), unsubscribed: z.number(), suppressed: z.number(), disabled: z.number() }),
  })
  .meta({ id: 'ImportReading' });

/** A row of an upload as its shape maps it (a dry run's sample). */
export const importSample = z
  .object({
    line: z.number(),
    email: z.string(),
    name: z.string(),
    status: z.enum(['confirmed', 'unconfirmed', 'unsubscribed', 'suppressed', 'disabled']),
    sourceStatus: z.string().nullable().meta({ description: 'the status word as the file wrote it' }),
    attributes: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ImportSample' });

export const send = z
  .object({
    id: z.number(),
    status: z.string(),
    statusReason: z.string().nullable(),
    issue: z.string(),
    subject: z.string(),
    list: z.string(),
    total: z.number(),
    scheduledAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    counts: z.record(z.string(), z.number()),
  })
  .meta({ id: 'Send' });

const pair = z.object({ total: z.number(), unique: z.number() });
export const sendStats = z
  .object({
    send: z.object({ id: z.number(), status: z.string(), issue: z.object({ id: z.number(), slug: z.string(), subject: z.string() }), list: z.object({ id: z.number(), slug: z.string() }) }),
    deliveries: z.record(z.string(), z.number()),
    bounced: z.object({ total: z.number(), hard: z.number(), soft: z.number(), policy: z.number() }),
    complaints: z.number(),
    unsubscribes: z.number(),
    opens: pair.extend({ machine: pair }),
    clicks: pair.extend({ machine: pair, links: z.array(z.object({ linkId: z.number(), url: z.string().nullable(), total: z.number(), unique: z.number(), machine: z.number() })) }),
    rates: z.object({ open: z.number(), click: z.number(), bounce: z.number(), complaint: z.number(), unsubscribe: z.number() }),
    timeline: z.object({ bucket: z.string(), points: z.array(z.object({ at: z.string(), opens: z.number(), machineOpens: z.number(), clicks: z.number(), machineClicks: z.number() })) }),
  })
  .meta({ id: 'SendStats' });

export const suppression = z
  .object({ id: z.number(), email: z.string(), reason: z.enum(['hard_bounce', 'soft_bounce', 'complaint', 'manual']), source: z.string(), details: z.record(z.string(), z.unknown()), createdAt: z.string() })
  .meta({ id: 'Suppression' });
