/** The name of an SMTP route (host:port, the port defaulting by protocol), as deliveries and WARMUP name it. */
export function smtpRouteName(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)}`;
}

/** The route names of SMTP_URL (one or more URLs, comma-separated). */
export function smtpRouteNames(smtpUrl: string): string[] {
  return smtpUrl.split(',').map((part) => smtpRouteName(new URL(part.trim())).toLowerCase());
}
