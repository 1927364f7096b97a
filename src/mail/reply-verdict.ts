/**
 * The one table that says what a mail server's refusal means, wherever it is read: a reply during our own
 * SMTP conversation (src/mail/mailer.ts), a bounce report (DSN, plain-text bounce) or a provider webhook
 * (src/bounces/classify.ts). Both paths look up the same rule, so `550 5.1.1` means the same thing whether the
 * server said it to us or wrote it in a bounce; the README's "Bounce classification" table lists these rules.
 *
 * Verdicts:
 * - hard      the address does not exist (no such user, no such domain, moved, domain accepts no mail).
 * - soft      the address exists but cannot take this message (mailbox full, message too big, account
 *             disabled, filtered by the recipient's rules, gave up after retrying).
 * - policy    the sender's problem (blocked, blocklisted, spam or virus, reputation, SPF/DKIM/DMARC, PTR,
 *             relay denied, authentication): never suppresses anyone; the operator is told.
 * - throttled the route asks us to slow down (421/4xx "too many connections", "rate limit"): the whole queue
 *             holds back, the delivery keeps its attempt (a bounded number of times).
 * - temporary a 4xx about this recipient or this message (greylisting, mailbox full for now, try again later):
 *             this delivery is retried on the retry schedule; the route is not slowed.
 *
 * How a reply is read: the enhanced status code (RFC 3463) decides when it is specific; where it is missing or
 * generic (`X.0.0`, `X.Y.0`) the text decides, and where no text rule matches the basic reply code does. A
 * 4xx reply is only ever temporary or throttled in the conversation (we retry it); in a bounce report it is
 * final (the reporting server gave up), so its meaning applies as a 5xx's would.
 */
export type ReplyVerdict = 'hard' | 'soft' | 'policy' | 'throttled' | 'temporary';

/** What a rule says about the failure, before "is it final?" is known. */
export type ReplyMeaning = 'hard' | 'soft' | 'policy' | 'throttle' | 'transient';

export interface ReplyRule {
  /** Stable name, logged and stored with bounce events (e.g. `no-such-user`). */
  name: string;
  meaning: ReplyMeaning;
  /** A reply this rule matches, shown in the README table and checked by the tests. */
  example: string;
}

interface CodeRule extends ReplyRule {
  /** `5.1.1`, or `x.4.1` for any class. */
  code: string;
}

interface TextRule extends ReplyRule {
  pattern: RegExp;
}

/** Specific enhanced status codes. Looked up by `c.s.d` first, then `x.s.d`. */
export const CODE_RULES: readonly CodeRule[] = [
  { code: 'x.1.1', name: 'no-such-user', meaning: 'hard', example: '550 5.1.1 <a@example.com>: Recipient address rejected: User unknown' },
  { code: 'x.1.2', name: 'no-such-domain', meaning: 'hard', example: '550 5.1.2 Host or domain name not found' },
  { code: 'x.1.3', name: 'bad-address-syntax', meaning: 'hard', example: '553 5.1.3 Bad recipient address syntax' },
  { code: 'x.1.4', name: 'ambiguous-address', meaning: 'hard', example: '550 5.1.4 Destination mailbox address ambiguous' },
  { code: 'x.1.6', name: 'address-moved', meaning: 'hard', example: '551 5.1.6 Mailbox has moved' },
  { code: 'x.1.10', name: 'domain-accepts-no-mail', meaning: 'hard', example: '556 5.1.10 Recipient address has null MX' },
  { code: 'x.1.5', name: 'address-valid', meaning: 'soft', example: '550 5.1.5 Destination mailbox address valid' },
  { code: 'x.1.7', name: 'bad-sender-address', meaning: 'policy', example: '553 5.1.7 Bad sender\'s mailbox address syntax' },
  { code: 'x.1.8', name: 'bad-sender-domain', meaning: 'policy', example: '553 5.1.8 Sender address rejected: Domain not found' },
  { code: 'x.2.1', name: 'mailbox-disabled', meaning: 'soft', example: '550 5.2.1 The email account that you tried to reach is disabled' },
  { code: 'x.2.2', name: 'mailbox-full', meaning: 'soft', example: '552 5.2.2 The email account that you tried to reach is over quota' },
  { code: 'x.2.3', name: 'message-too-large', meaning: 'soft', example: '552 5.2.3 Message exceeds maximum size' },
  { code: 'x.2.4', name: 'list-expansion-problem', meaning: 'soft', example: '550 5.2.4 Mailing list expansion problem' },
  { code: 'x.3.4', name: 'message-too-large', meaning: 'soft', example: '552 5.3.4 Message size exceeds fixed limit' },
  { code: '5.4.1', name: 'recipient-access-denied', meaning: 'hard', example: '550 5.4.1 Recipient address rejected: Access denied' },
  { code: '5.4.4', name: 'unroutable-domain', meaning: 'hard', example: '550 5.4.4 Unable to route: no mail hosts for domain' },
  { code: '5.4.310', name: 'no-such-domain', meaning: 'hard', example: '550 5.4.310 DNS domain does not exist' },
  { code: 'x.4.6', name: 'routing-loop', meaning: 'soft', example: '554 5.4.6 Routing loop detected' },
  { code: 'x.4.7', name: 'delivery-expired', meaning: 'soft', example: '4.4.7 Delivery time expired' },
  { code: '4.4.5', name: 'system-congestion', meaning: 'throttle', example: '452 4.4.5 System congestion, try again' },
];

/**
 * The defaults, in one table looked up by `defaultRule`: per subject of an enhanced code (`x.1` … `x.7`), where its
 * detail is generic or not in CODE_RULES; per basic reply code (`550`, RFC 5321), where neither the enhanced code
 * nor the text says more.
 */
const DEFAULT_RULES: Readonly<Record<string, ReplyRule>> = {
  'x.1': { name: 'address-problem', meaning: 'hard', example: '550 5.1.0 Address rejected' },
  'x.2': { name: 'mailbox-problem', meaning: 'soft', example: '550 5.2.0 Mailbox unavailable' },
  'x.3': { name: 'mail-system-problem', meaning: 'soft', example: '554 5.3.0 Mail system error' },
  'x.4': { name: 'routing-problem', meaning: 'transient', example: '451 4.4.1 No answer from host' },
  'x.5': { name: 'protocol-problem', meaning: 'soft', example: '554 5.5.0 Transaction failed' },
  'x.6': { name: 'content-rejected', meaning: 'policy', example: '554 5.6.0 Message content rejected' },
  'x.7': { name: 'policy-rejection', meaning: 'policy', example: '550 5.7.1 Message rejected due to local policy' },
  '421': { name: 'service-closing', meaning: 'transient', example: '421 Service not available, closing transmission channel' },
  '521': { name: 'domain-accepts-no-mail', meaning: 'hard', example: '521 Server does not accept mail' },
  '556': { name: 'domain-accepts-no-mail', meaning: 'hard', example: '556 Domain does not accept mail' },
  '551': { name: 'address-moved', meaning: 'hard', example: '551 User not local' },
  '553': { name: 'bad-address-syntax', meaning: 'hard', example: '553 Mailbox name not allowed' },
  '552': { name: 'mailbox-full', meaning: 'soft', example: '552 Requested mail action aborted: exceeded storage allocation' },
  '530': { name: 'authentication', meaning: 'policy', example: '530 Authentication required' },
  '534': { name: 'authentication', meaning: 'policy', example: '534 Authentication mechanism is too weak' },
  '535': { name: 'authentication', meaning: 'policy', example: '535 Authentication credentials invalid' },
  '538': { name: 'authentication', meaning: 'policy', example: '538 Encryption required for requested authentication mechanism' },
};

/** The default rule for a subject (`x.4`) or a basic reply code (`550`), if the table has one. */
function defaultRule(key: string): ReplyRule | undefined {
  return Object.hasOwn(DEFAULT_RULES, key) ? DEFAULT_RULES[key] : undefined;
}

/**
 * Reply texts, checked in this order (first match wins). Read where the code is missing or generic, and for
 * throttling wording on a 4xx. Recipient-specific soft texts come before the hard ones, which come before the
 * policy ones ("account blocked" is the recipient's, "IP blocked" is ours).
 */
export const TEXT_RULES: readonly TextRule[] = [
  {
    name: 'mailbox-full',
    meaning: 'soft',
    pattern: /mailbox (?:is )?full|over (?:the )?quota|quota exceeded|exceeded (?:the )?(?:storage|quota)|out of storage|insufficient (?:storage|disk)|storage (?:space )?(?:is )?full|mailbox size limit|容量(?:が|を)?(?:超|オーバー|不足)|メールボックスがいっぱい/i,
    example: '552 Mailbox full',
  },
  {
    name: 'message-too-large',
    meaning: 'soft',
    pattern: /(?:message|mail|email) (?:is )?too (?:large|big)|(?:message|mail) size (?:exceeds|limit)|exceeds (?:the )?(?:maximum|max|size)|size exceeds/i,
    example: '552 Message size exceeds the limit',
  },
  {
    name: 'mailbox-disabled',
    meaning: 'soft',
    pattern: /(?:account|mailbox|user|address) (?:has been |is |was )?(?:temporarily )?(?:disabled|suspended|inactive|deactivated|locked|frozen|blocked|not active)|inactive (?:user|account|mailbox)|disabled (?:user|account|mailbox)|利用停止/i,
    example: '550 This account has been disabled or discontinued',
  },
  {
    name: 'filtered-by-recipient',
    meaning: 'soft',
    pattern: /recipient(?:'s)? (?:rules|filter)|filtered by (?:the )?recipient|does not wish to receive|refused by (?:the )?recipient|受信拒否/i,
    example: '550 Message rejected by the recipient\'s rules',
  },
  {
    name: 'no-such-user',
    meaning: 'hard',
    pattern:
      /\b(?:user|recipient|mailbox|address|account|addressee)s? (?:is )?(?:unknown|not found|not exist|does(?:n't| not) exist|not (?:a )?valid|invalid|not listed|nonexistent)|\bunknown (?:user|recipient|mailbox|address|local ?part|account)|no such (?:user|mailbox|recipient|address|account|person)|(?:invalid|unknown|bad) (?:recipient|mailbox|address|destination)|no mailbox (?:here|by that name)|\bmailbox unavailable|mailbox not available|unrouteable address|user doesn't have an? .{1,40} account|the email account that you tried to reach does not exist|not a valid (?:mailbox|user|recipient)|no longer (?:valid|active|in use|exists?)|doesn't have a mailbox|address rejected: user unknown|recipient not found|存在しません|宛先(?:不明|が見つかりません)/i,
    example: '550 Requested action not taken: mailbox unavailable',
  },
  {
    name: 'no-such-domain',
    meaning: 'hard',
    pattern: /(?:host|domain)(?: or domain name)? (?:name )?not found|no such domain|domain (?:does not|doesn't) exist|unknown (?:domain|host)|nxdomain|does not accept mail|accepts no mail|null mx|domain (?:is )?not (?:found|valid)/i,
    example: '550 Host or domain name not found',
  },
  {
    name: 'address-moved',
    meaning: 'hard',
    pattern: /(?:address|mailbox|user) (?:has )?moved|no longer at this address/i,
    example: '551 User has moved; please try <b@example.org>',
  },
  {
    name: 'rate-limited',
    meaning: 'throttle',
    pattern:
      /too many (?:connections|concurrent|simultaneous|sessions|messages|mails|emails|recipients|smtp)|too much mail|rate[ -]?limit|throttl|slow(?:ing)? down|(?:sending|message|connection|unusual) rate|unexpected volume|temporarily deferred due to/i,
    example: '421 Too many connections, slow down',
  },
  {
    name: 'blocklisted',
    meaning: 'policy',
    pattern: /spamhaus|spamcop|barracuda|sorbs|uceprotect|block ?list|black ?list|dnsbl|\brbl\b|\blisted (?:in|on|at|by)\b|banned|blocked/i,
    example: '554 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
  },
  {
    name: 'spam-or-virus',
    meaning: 'policy',
    pattern: /spam|junk|virus|malware|phish|unsolicited|bulk mail|suspicious|content (?:rejected|filter)|message (?:refused|rejected) (?:as|because|due)/i,
    example: '550 High probability of spam',
  },
  {
    name: 'reputation',
    meaning: 'policy',
    pattern: /reputation|poor (?:sending )?history|sender score/i,
    example: '554 Rejected due to poor reputation of your IP',
  },
  {
    name: 'authentication',
    meaning: 'policy',
    pattern: /dmarc|\bspf\b|dkim|authenticat|not authori[sz]ed|unauthenticated|sender policy framework/i,
    example: '550 Message failed DMARC policy',
  },
  {
    name: 'missing-ptr',
    meaning: 'policy',
    pattern: /reverse dns|\bptr\b|\brdns\b|cannot find your (?:hostname|reverse)|no reverse|helo|hostname (?:does not|doesn't) resolve/i,
    example: '550 Client host rejected: cannot find your reverse hostname',
  },
  {
    name: 'relay-denied',
    meaning: 'policy',
    pattern: /relay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed)|prohibited)|unable to relay|not permitted to relay|we do not relay/i,
    example: '554 <a@example.com>: Relay access denied',
  },
  {
    name: 'local-policy',
    meaning: 'policy',
    pattern: /\bpolicy\b|access denied|sender (?:address )?rejected|not accepted for policy|prohibited|refused to accept|administrative prohibition/i,
    example: '550 Rejected by local policy',
  },
  {
    name: 'delivery-expired',
    meaning: 'soft',
    pattern: /delivery time expired|retry timeout exceeded|could not be delivered within|gave up|message expired|expired after|giving up/i,
    example: '550 Retry timeout exceeded',
  },
  {
    name: 'try-again-later',
    meaning: 'transient',
    pattern: /try (?:again )?later|greylist|graylist|temporar|deferred|timed? ?out|connection (?:refused|reset|lost|dropped)|service (?:not available|unavailable)|resources|busy/i,
    example: '451 Greylisted, please try again later',
  },
];

const RATE_LIMITED = TEXT_RULES.find((r) => r.name === 'rate-limited')!;

const UNSPECIFIED_PERMANENT: ReplyRule = { name: 'unspecified-permanent', meaning: 'soft', example: '554 Transaction failed' };
const UNSPECIFIED_TEMPORARY: ReplyRule = { name: 'unspecified-temporary', meaning: 'transient', example: '451 Requested action aborted: local error' };

export interface Reply {
  /** Basic reply code (550), when known; otherwise read from the start of `text`. */
  code?: number;
  /** Enhanced status code (5.1.1), when known; otherwise looked for in `text`. */
  status?: string;
  /** The reply or diagnostic text. */
  text?: string;
}

export interface ReplyClassification {
  verdict: ReplyVerdict;
  rule: ReplyRule;
  /** The enhanced status code read, normalised. */
  status?: string;
  /** Whether the code or text said something specific (false: only a default applied). */
  specific: boolean;
}

const ENHANCED_CODE = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** The enhanced status code in a Status field or an SMTP reply, normalised (`5.1.1`), or undefined. */
export function enhancedStatus(text: string | undefined): string | undefined {
  const match = text ? ENHANCED_CODE.exec(text) : null;
  return match ? `${match[1]}.${Number(match[2])}.${Number(match[3])}` : undefined;
}

function basicCode(reply: Reply): number | undefined {
  if (reply.code !== undefined) return reply.code;
  const match = reply.text ? /^\s*(?:smtp;\s*)?([245]\d\d)[\s-]/i.exec(reply.text) : null;
  return match ? Number(match[1]) : undefined;
}

function textRule(text: string | undefined): TextRule | undefined {
  return text ? TEXT_RULES.find((rule) => rule.pattern.test(text)) : undefined;
}

/** The rule a reply falls under, and whether it came from something specific (not only a default). */
function findRule(reply: Reply, status: string | undefined, code: number | undefined): { rule: ReplyRule; specific: boolean } {
  const text = textRule(reply.text);
  if (status) {
    const [klass, subject, detail] = status.split('.').map(Number);
    const exact = CODE_RULES.find((r) => r.code === status) ?? CODE_RULES.find((r) => r.code === `x.${subject}.${detail}`);
    if (exact) return { rule: exact, specific: true };
    // X.6.x and X.7.x are about the message or the sender whatever the text says: they never suppress.
    if (subject === 6 || subject === 7) {
      return { rule: text?.meaning === 'policy' || text?.meaning === 'throttle' ? text : defaultRule(`x.${subject}`)!, specific: true };
    }
    // A generic detail (X.Y.0, or one the table does not know) lets the text decide.
    if (text) return { rule: text, specific: true };
    const bySubject = defaultRule(`x.${subject}`);
    if (bySubject) return { rule: bySubject, specific: detail !== 0 };
    return { rule: klass === 4 ? UNSPECIFIED_TEMPORARY : UNSPECIFIED_PERMANENT, specific: false };
  }
  if (text) return { rule: text, specific: true };
  const byCode = code === undefined ? undefined : defaultRule(String(code));
  if (byCode) return { rule: byCode, specific: true };
  return { rule: code !== undefined && code < 500 ? UNSPECIFIED_TEMPORARY : UNSPECIFIED_PERMANENT, specific: false };
}

/**
 * A route-wide throttle: 454 (the relay cannot take mail from us for now: never about one recipient), 4.4.5
 * (system congestion), or a 4xx worded as one ("too many connections", "rate limit"), unless its code says it is
 * about one mailbox or address (a mailbox "receiving mail at a rate" is that recipient's temporary failure).
 */
function isRouteThrottle(reply: Reply, status: string | undefined, code: number | undefined): boolean {
  const subject = status ? Number(status.split('.')[1]) : 0;
  if (subject === 1 || subject === 2) return false;
  if (code === 454 || status === '4.4.5') return true;
  return RATE_LIMITED.pattern.test(reply.text ?? '');
}

/**
 * Classifies one reply. `final`: the failure is final whatever its class (a bounce report: the reporting
 * server gave up), so a 4xx's meaning applies as a 5xx's would. Otherwise a 4xx (or no code at all: the
 * connection failed) is throttled or temporary.
 */
export function classifyReply(reply: Reply, options: { final?: boolean } = {}): ReplyClassification {
  const status = enhancedStatus(reply.status) ?? enhancedStatus(reply.text);
  const code = basicCode(reply);
  const klass = status ? Number(status[0]) : code !== undefined ? Math.floor(code / 100) : undefined;
  const permanent = options.final || klass === 5;
  if (!permanent) {
    const { rule, specific } = findRule(reply, status, code);
    if (klass === 4 && isRouteThrottle(reply, status, code)) {
      return { verdict: 'throttled', rule: rule.meaning === 'throttle' ? rule : RATE_LIMITED, status, specific: true };
    }
    return { verdict: 'temporary', rule, status, specific };
  }
  const { rule, specific } = findRule(reply, status, code);
  return { verdict: finalVerdict(rule.meaning), rule, status, specific };
}

function finalVerdict(meaning: ReplyMeaning): Exclude<ReplyVerdict, 'throttled' | 'temporary'> {
  switch (meaning) {
    case 'hard':
      return 'hard';
    case 'policy':
    case 'throttle':
      // A server that refuses for good because of our sending rate is telling the sender, not the reader.
      return 'policy';
    default:
      return 'soft';
  }
}
