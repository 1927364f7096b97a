import type { ParsedMail } from 'mailparser';

/**
 * Messages that come back to a bounce address but are no bounce: they must never suppress anyone.
 * - auto-replies and vacation messages (RFC 3834 `Auto-Submitted: auto-replied`, the headers the big clients add);
 * - delay warnings ("still being retried", "THIS IS A WARNING MESSAGE ONLY");
 * - challenge-response messages (the recipient's filter asks the sender to prove it is a person).
 */
const header = (mail: ParsedMail, name: string) => {
  const value = mail.headers.get(name);
  return (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)).toLowerCase();
};

export function isAutoReply(mail: ParsedMail): boolean {
  const autoSubmitted = header(mail, 'auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  if (['x-autoreply', 'x-autorespond', 'x-autoresponder'].some((h) => mail.headers.has(h))) return true;
  if (['auto_reply', 'auto-reply'].includes(header(mail, 'precedence'))) return true;
  if (/^(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|autoreply|vacation|abwesenheit|away from|自動応答|自动回复|réponse automatique)/i.test(mail.subject ?? '')) return true;
  return false;
}

const DELAY_SUBJECT = /delayed mail|still being retried|delivery (?:status notification \(delay\)|delayed)|warning: (?:could not send|message .* delayed)|delivery delay|not yet been delivered|message delayed/i;
const DELAY_BODY = /this is a warning message only|you do not need to resend your message|will (?:continue|keep) (?:to )?(?:try|retry)ing|still trying to deliver|delivery attempts will continue/i;

/** A plain-text warning that a message is delayed, not failed (RFC 3464 ones say `Action: delayed`). */
export function isDelayWarning(mail: ParsedMail, text: string): boolean {
  return DELAY_SUBJECT.test(mail.subject ?? '') || DELAY_BODY.test(text.slice(0, 3000));
}

const CHALLENGE_SUBJECT = /verif(?:y|ication)|confirm (?:your|that you|you)|challenge|awaiting (?:your )?(?:approval|confirmation)|please (?:confirm|authenticate)|held (?:for|pending)|sender (?:verification|authentication)|prove you are/i;
const CHALLENGE_BODY = /(?:to|please) (?:verify|confirm) (?:that )?you(?:r| are)|prove (?:that )?you are (?:a )?(?:human|real)|click (?:on )?the (?:link|button) below to (?:have your|deliver|release|confirm|verify)|approved senders?|spam ?arrest|boxbe|mailinblack|sender verification|waiting list|will be delivered once you/i;

export function isChallenge(mail: ParsedMail, text: string): boolean {
  return CHALLENGE_SUBJECT.test(mail.subject ?? '') && CHALLENGE_BODY.test(text.slice(0, 5000));
}
