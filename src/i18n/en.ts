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

  archiveTitle: 'Archive',
  archiveEmpty: 'Nothing has been sent yet.',
  archiveFeed: 'Follow in a feed reader (Atom)',

  subscribeTitle: (list: string) => `Subscribe to “${list}”`,
  subscribeEmailLabel: 'Email address',
  subscribeNameLabel: 'Name (optional)',
  subscribeButton: 'Subscribe',
  subscribeHoneypotLabel: 'Leave this field empty',
  subscribeDoneTitle: 'Thank you',
  subscribeDoneDoubleOptIn: 'If this address can receive our newsletter, an email with a confirmation link is on its way. Open it to complete your subscription.',
  subscribeDoneSingleOptIn: 'If this address can receive our newsletter, it is now subscribed. You may also receive an email asking you to confirm.',
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
