import { z } from 'zod';

/**
 * A segment: conditions on a subscriber, all of which (`all`) or any of which (`any`) must hold. Conditions
 * look at attributes, the address and name, the date the subscription to the list began, and engagement
 * (a human open or click in the last N days; machine opens by mail privacy proxies do not count).
 */
const text = z.string().max(500);
export const condition = z.discriminatedUnion('field', [
  z.object({ field: z.literal('attribute'), key: z.string().min(1).max(100), op: z.enum(['eq', 'neq', 'contains', 'exists', 'missing']), value: text.default('') }),
  z.object({ field: z.enum(['email', 'name']), op: z.enum(['eq', 'contains', 'ends_with', 'not_contains']), value: text }),
  z.object({ field: z.literal('subscribed'), op: z.enum(['within_days', 'before_days', 'after', 'before']), value: z.string().regex(/^(\d{1,5}|\d{4}-\d{2}-\d{2})$/, 'a number of days or a date (YYYY-MM-DD)') }),
  z.object({ field: z.literal('engagement'), op: z.enum(['opened', 'clicked', 'not_opened', 'not_clicked']), days: z.coerce.number().int().min(1).max(3650) }),
]);
export type Condition = z.infer<typeof condition>;

export const segmentDefinition = z.object({
  match: z.enum(['all', 'any']).default('all'),
  conditions: z
    .array(
      condition.refine(
        (c) => c.field !== 'subscribed' || (c.op.endsWith('_days') ? /^\d+$/ : /^\d{4}-\d{2}-\d{2}$/).test(c.value),
        { message: 'subscribed: give a number of days for within_days/before_days, a date (YYYY-MM-DD) for after/before', path: ['value'] },
      ),
    )
    .min(1, 'add at least one condition')
    .max(30),
});
export type SegmentDefinition = z.infer<typeof segmentDefinition>;
