import { describe, expect, it } from 'vitest';
import { checkEmailAddress, emailProblem, wireAddress } from '../src/mail/email-address';
import { BAD_ADDRESSES, GOOD_ADDRESSES } from './fixtures/email-addresses';

describe('the email address validator', () => {
  it.each(GOOD_ADDRESSES)('accepts $input and stores it as $stored', ({ input, stored }) => {
    expect(checkEmailAddress(input)).toEqual({ ok: true, address: stored });
  });

  it.each(BAD_ADDRESSES.map((input) => [input]))('refuses %j with a reason that names it', (input) => {
    const check = checkEmailAddress(input);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problem).toMatch(input.trim() ? /^invalid email address '.+': / : /^missing email address$/);
  });

  it('says why in plain words', () => {
    expect(emailProblem('ada@example')).toBe("invalid email address 'ada@example': the domain 'example' has no dot (e.g. example.com)");
    expect(emailProblem('ada lovelace@example.com')).toBe("invalid email address 'ada lovelace@example.com': it contains a space or an invisible character");
    expect(emailProblem('"ada"@example.com')).toMatch(/quoted local parts are not accepted/);
    expect(emailProblem('ada@[10.0.0.1]')).toMatch(/IP-address domains are not accepted/);
    expect(emailProblem('ada@example.com')).toBeNull();
  });

  it('stores the same subscriber whatever form the domain was written in', () => {
    const forms = ['ömil@BÜCHER.DE', 'ömil@xn--bcher-kva.de', 'ömil@Bücher.de'].map((a) => checkEmailAddress(a));
    expect(new Set(forms.map((f) => (f.ok ? f.address : f.problem)))).toEqual(new Set(['ömil@bücher.de']));
    // Decomposed ö (o + U+0308) and the precomposed one are one address.
    expect(checkEmailAddress('o\u0308mil@example.com')).toEqual({ ok: true, address: 'ömil@example.com' });
  });

  it('puts ASCII local parts with Unicode domains on the wire in A-labels; only non-ASCII local parts need SMTPUTF8', () => {
    expect(wireAddress('ada@example.com')).toEqual({ address: 'ada@example.com', smtpUtf8: false });
    expect(wireAddress('info@bücher.de')).toEqual({ address: 'info@xn--bcher-kva.de', smtpUtf8: false });
    expect(wireAddress('ömil@example.com')).toEqual({ address: 'ömil@example.com', smtpUtf8: true });
    expect(wireAddress('用户@例子.广告')).toEqual({ address: '用户@例子.广告', smtpUtf8: true });
  });
});
