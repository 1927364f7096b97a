/** A minimal RFC 3464 report: one failed recipient with this SMTP reply (Status from the reply, or its class). */
export function failedDsn(email: string, reply: string, id = email): string {
  const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)?.[1] ?? `${reply[0]}.0.0`;
  return [
    'From: MAILER-DAEMON@mx.example.net',
    'To: bounce@lifewithdata.test',
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <dsn-${id}@mx.example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    `Final-Recipient: rfc822; ${email}`,
    'Action: failed',
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${reply}`,
    '',
    '--b--',
    '',
  ].join('\r\n');
}
