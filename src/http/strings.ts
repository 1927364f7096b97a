/** Every sentence a reader sees on a page, in one place so it can be translated. */
export const strings = {
  unsubscribeTitle: 'Unsubscribe',
  unsubscribeQuestion: (list: string) => `Unsubscribe from “${list}”?`,
  unsubscribeExplain: 'Press the button to stop receiving this newsletter. Nothing changes until you do.',
  unsubscribeButton: 'Unsubscribe',
  unsubscribedTitle: 'You are unsubscribed',
  unsubscribedBody: (list: string) => `You will not receive “${list}” any more. Emails already on their way may still arrive within minutes.`,
  alreadyUnsubscribedBody: (list: string) => `You were already unsubscribed from “${list}”.`,
  unsubscribeHelpTitle: 'Unsubscribe',
  unsubscribeHelpBody: 'To unsubscribe, use the “Unsubscribe” link at the bottom of an email you received: it is personal to you.',
  invalidLinkTitle: 'This link is not valid',
  invalidLinkBody: 'The link may have been cut short or changed. Use the link from your email as it is.',
  notFoundTitle: 'Not found',
  notFoundBody: 'There is nothing at this address.',
  errorTitle: 'Something went wrong',
  errorBody: 'Please try again in a minute.',
};
