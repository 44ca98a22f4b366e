import { describe, expect, it } from 'vitest';
import { PublicLinks } from './links.ts';
import { inviteMail, signupAttemptMail, verifySignupMail } from './templates.ts';

describe('mail templates', () => {
  it('put the link in the plain text and the HTML, and escape names in the HTML', () => {
    const mail = verifySignupMail('eve@example.com', { name: '<img src=x onerror=alert(1)> & "Eve"', link: 'https://lanes.example/verify/abc' });
    expect(mail).toMatchObject({ to: 'eve@example.com', subject: 'Confirm your e-mail address for Lanes', link: 'https://lanes.example/verify/abc' });
    expect(mail.text).toContain('Confirm my address: https://lanes.example/verify/abc');
    expect(mail.html).toContain('href="https://lanes.example/verify/abc"');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Eve&quot;');
  });

  it('tell the owner of a registered address how to sign in or reset, with no signup link', () => {
    const mail = signupAttemptMail('ann@example.com', { name: 'Ann', signInLink: 'https://lanes.example/login', resetLink: 'https://lanes.example/forgot-password' });
    expect(mail.text).toContain('https://lanes.example/login');
    expect(mail.text).toContain('https://lanes.example/forgot-password');
    expect(mail.text).not.toMatch(/verify/);
  });

  it('say who invites, to which team, with which role, until when', () => {
    const mail = inviteMail('lee@example.com', { invitedBy: 'Jo', workspaceName: "Jo's team", role: 'viewer', link: 'https://lanes.example/invite/t', expiresAt: Date.UTC(2026, 11, 1) });
    expect(mail.subject).toBe("Jo invited you to Jo's team on Lanes");
    expect(mail.text).toMatch(/as viewer/);
    expect(mail.text).toMatch(/Tue, 01 Dec 2026/);
  });
});

describe('public links', () => {
  it('start at PUBLIC_URL, with or without a trailing slash or a path prefix', () => {
    expect(new PublicLinks('https://lanes.example/').verifySignup('t')).toBe('https://lanes.example/verify/t');
    expect(new PublicLinks('https://example.com/lanes/').resetPassword('t')).toBe('https://example.com/lanes/reset-password/t');
  });

  it('refuse a PUBLIC_URL that is not http(s)', () => {
    expect(() => new PublicLinks('javascript:alert(1)')).toThrow(/http/);
  });
});
