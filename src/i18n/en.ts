/**
 * Every fixed string a reader sees, in English: the reader pages and the fixed parts of emails (the
 * confirmation email, the templates' footer and greeting). This file is the model for other languages:
 * a translator copies it to `<tag>.ts`, translates every value (keeping each function's parameters) and
 * adds the tag to languages.ts and catalogues.ts. test/i18n-catalogues.test.ts checks that every catalogue
 * has exactly these keys.
 */
export const en = {
  /** The `lang` attribute of pages and emails. */
  lang: 'en',

  unsubscribeTitle: 'Unsubscribe',
  unsubscribeQuestion: (list: string) => `Unsubscribe from “${list}”?`,
  unsubscribeExplain: 'Press the button to stop receiving this newsletter. Nothing changes until you do.',
  unsubscribeButton: 'Unsubscribe',
  unsubscribedTitle: 'You are unsubscribed',
  unsubscribedBody: (list: string) => `You will not receive “${list}” any more. Emails already on their way may still arrive within minutes.`,
  alreadyUnsubscribedBody: (list: string) => `You were already unsubscribed from “${list}”.`,
  unsubscribeHelpTitle: 'Unsubscribe',
  unsubscribeHelpBody: 'To unsubscribe, use the “Unsubscribe” link at the bottom of an email you received: it is personal to you.',
  unsubscribeAllButton: 'Unsubscribe from all lists',
  unsubscribedAllBody: 'You will not receive any of our newsletters any more. Emails already on their way may still arrive within minutes.',
  managePreferences: 'Manage your subscriptions and data',

  invalidLinkTitle: 'This link is not valid',
  invalidLinkBody: 'The link may have been cut short or changed. Use the link from your email as it is.',
  notFoundTitle: 'Not found',
  notFoundBody: 'There is nothing at this address.',
  errorTitle: 'Something went wrong',
  errorBody: 'Please try again in a minute.',
  bodyTooLarge: 'The request body is too large.',
  invalidJson: 'The request body is not valid JSON.',

  archiveTitle: 'Archive',
  archiveEmpty: 'Nothing has been sent yet.',
  archiveFeed: 'Follow in a feed reader (Atom)',

  subscribeTitle: (list: string) => `Subscribe to “${list}”`,
  subscribeEmailLabel: 'Email address',
  subscribeNameLabel: 'Name (optional)',
  subscribeButton: 'Subscribe',
  subscribeHoneypotLabel: 'Leave this field empty',
  subscribeDoneTitle: 'Thank you',
  subscribeDoneDoubleOptIn: 'Unless this address is already subscribed or cannot receive our emails, we have emailed it a link to confirm (at most one such email a day). Open it to complete your subscription: nothing is sent to the address until then.',
  subscribeDoneSingleOptIn: 'If this address is new to this newsletter, it is subscribed from now on. If it had unsubscribed before, we have emailed it a link to confirm that it wants to come back (at most one such email a day): it receives nothing until the link is opened. If it is already subscribed, nothing changes.',
  subscribeInvalidEmail: 'This email address is not valid: check it for typos (it should look like name@example.com).',
  subscribeMissingList: 'No list was given: the form must say which list to subscribe to.',
  subscribeTooMany: 'Too many requests. Please try again later.',
  listNotFound: 'There is no such newsletter.',

  confirmEmailSubject: (list: string) => `Confirm your subscription to ${list}`,
  confirmEmailIntro: (list: string) => `Someone, hopefully you, asked to subscribe this address to “${list}”. To confirm, open this link and press the button:`,
  confirmEmailButton: 'Confirm my subscription',
  confirmEmailOutro: 'If it was not you, ignore this email: nothing will be sent to you.',
  confirmTitle: 'Confirm your subscription',
  confirmQuestion: (list: string) => `Subscribe to “${list}”?`,
  confirmButton: 'Yes, subscribe me',
  confirmedTitle: 'You are subscribed',
  confirmedBody: (list: string) => `Thank you: you will receive “${list}”.`,
  alreadyConfirmedBody: (list: string) => `You were already subscribed to “${list}”.`,

  preferencesTitle: 'Your subscriptions',
  preferencesIntro: (email: string) => `Subscriptions of ${email}. Tick the newsletters you want to receive.`,
  preferencesNone: 'This address is on no list.',
  preferencesSave: 'Save',
  preferencesSaved: 'Your choices are saved.',
  preferencesDataTitle: 'Your data',
  preferencesDownload: 'Download everything we store about you (JSON)',
  preferencesDeleteTitle: 'Delete me',
  preferencesDeleteExplain: 'Deletes your address, your name and your subscriptions for good. This cannot be undone.',
  preferencesDeleteConfirm: 'Yes, delete my data',
  preferencesDeleteButton: 'Delete my data',
  preferencesDeletedTitle: 'Your data is deleted',
  preferencesDeletedBody: 'We no longer store your address, your name or your subscriptions.',
  preferencesDeleteNotConfirmed: 'Tick the box to confirm that you want your data deleted.',
  statusConfirmed: 'subscribed',
  statusUnconfirmed: 'not confirmed yet',
  statusUnsubscribed: 'unsubscribed',

  linkExpiredTitle: 'This link has expired',
  confirmExpiredBody: 'Confirmation links work for 7 days, and this one is older. We can email a new one to the address it was sent to.',
  preferencesExpiredBody: 'Links to your subscriptions page work for 7 days, and this one is older. We can email a new one to the address it was sent to.',
  sendNewLinkButton: 'Email me a new link',
  newLinkSentTitle: 'Check your inbox',
  newLinkSentBody: 'A new link is on its way to the address this link was sent to. It can take a few minutes to arrive.',
  confirmLinkLimited: 'A confirmation link was already emailed to this address in the last 24 hours: open the newest one.',
  linksEmailLimited: 'A link was already emailed to this address in the last 10 minutes: open the newest one, or ask again later.',
  unreachableBody: 'This address cannot receive our emails (earlier messages to it bounced or were reported), so nothing was sent to it.',

  unsubscribeHelpAsk: 'Or type your address: we will email you your personal links to unsubscribe and to manage your subscriptions.',
  unsubscribeHelpButton: 'Email me my links',
  linksRequestedBody: 'If this address is subscribed to one of our newsletters, an email with its personal links is on its way. We send at most one every 10 minutes, and nothing to an address that is not subscribed.',
  linksEmailSubject: 'Your links to manage your subscriptions',
  linksEmailIntro: 'Someone, hopefully you, asked for the links to manage the subscriptions of this address. This link shows them and lets you change them, download your data or delete it (it works for 7 days):',
  linksEmailButton: 'Manage my subscriptions',
  linksEmailUnsubscribe: (list: string) => `Unsubscribe from “${list}”`,
  linksEmailOutro: 'If it was not you, ignore this email: nothing has changed.',

  notSubscribedBody: (list: string) => `You are not subscribed to “${list}”: you unsubscribed, and nothing more is sent to you.`,
  resubscribeExplainDouble: 'Changed your mind? Press the button and we will email you a link to confirm.',
  resubscribeExplainSingle: 'Changed your mind? Press the button and you will receive the next issue.',
  resubscribeButton: 'Subscribe again',
  resubscribedTitle: 'Welcome back',
  resubscribedBody: (list: string) => `You are subscribed to “${list}” again.`,
  resubscribeConfirmSent: (list: string) => `We have emailed you a link to confirm: open it to subscribe to “${list}” again. Until then, nothing is sent to you.`,

  // The fixed parts of a newsletter (templates/*/): compiled into the issue in its list's language.
  emailViewInBrowser: 'View in browser',
  emailOriginal: 'Original article',
  emailUnsubscribe: 'Unsubscribe',
  emailReceivingBecause: (list: string) => `You are receiving this because you subscribed to ${list}.`,
  /** The default template's greeting above the intro. */
  emailGreeting: (name: string) => `Hi ${name},`,
  /** The letter template's salutation. */
  emailLetterGreeting: (name: string) => `Dear ${name},`,
};

/** A catalogue: the same keys as the English one, each a string or a function of the same parameters. */
export type Catalogue = { readonly [K in keyof typeof en]: (typeof en)[K] extends (...args: infer A) => string ? (...args: A) => string : string };
