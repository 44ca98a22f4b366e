import type { Role } from '../../shared/api.ts';
import type { MailMessage } from './outbox.ts';

/** Every message is plain text first, with a simple HTML copy; names and links are escaped in the HTML. */
function message(to: string, subject: string, paragraphs: string[], action: { label: string; link: string }, footer: string): MailMessage {
  const text = [...paragraphs, `${action.label}: ${action.link}`, footer, '— Lanes'].join('\n\n') + '\n';
  const html = [
    '<!doctype html><html><body style="font-family: system-ui, sans-serif; color: #1f2933; line-height: 1.5">',
    ...paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    `<p><a href="${escapeHtml(action.link)}" style="display: inline-block; padding: 10px 16px; background: #2f5bd3; color: #fff; border-radius: 6px; text-decoration: none">${escapeHtml(action.label)}</a></p>`,
    `<p style="font-size: 13px">Or paste this link into your browser: ${escapeHtml(action.link)}</p>`,
    `<p style="font-size: 13px; color: #52606d">${escapeHtml(footer)}</p>`,
    '</body></html>'
  ].join('\n');
  return { to, subject, text, html, link: action.link };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

export function verifySignupMail(to: string, input: { name: string; link: string }): MailMessage {
  return message(
    to,
    'Confirm your e-mail address for Lanes',
    [`Hello ${input.name},`, 'Someone (we hope you) signed up for Lanes with this address. Open the link within 24 hours and enter the password you chose to finish.'],
    { label: 'Confirm my address', link: input.link },
    'If you did not sign up, ignore this message: no account is created without this link.'
  );
}

/** To the owner of an address that already has an account, when someone signs up with it. */
export function signupAttemptMail(to: string, input: { name: string; signInLink: string; resetLink: string }): MailMessage {
  return message(
    to,
    'Someone tried to sign up for Lanes with your address',
    [
      `Hello ${input.name},`,
      'Someone just tried to create a Lanes account with this address, which already has one. Nothing was changed.',
      `If it was you: sign in with your password, or set a new one at ${input.resetLink}`
    ],
    { label: 'Sign in', link: input.signInLink },
    'If it was not you, you can ignore this message.'
  );
}

export function passwordResetMail(to: string, input: { name: string; link: string }): MailMessage {
  return message(
    to,
    'Reset your Lanes password',
    [`Hello ${input.name},`, 'Someone (we hope you) asked to reset the password of your Lanes account. The link works once, within one hour.'],
    { label: 'Choose a new password', link: input.link },
    'If you did not ask, ignore this message: your password stays as it is.'
  );
}

export function passwordChangedMail(to: string, input: { name: string; resetLink: string }): MailMessage {
  return message(
    to,
    'Your Lanes password was changed',
    [`Hello ${input.name},`, 'The password of your Lanes account was just changed, and your other sessions were signed out.'],
    { label: 'Not you? Reset your password', link: input.resetLink },
    'If it was you, there is nothing to do.'
  );
}

export function inviteMail(to: string, input: { invitedBy: string; workspaceName: string; role: Role; link: string; expiresAt: number }): MailMessage {
  const expires = new Date(input.expiresAt).toUTCString();
  return message(
    to,
    `${input.invitedBy} invited you to ${input.workspaceName} on Lanes`,
    [
      `${input.invitedBy} invited you to join ${input.workspaceName} on Lanes, the team's live pipeline board, as ${input.role}.`,
      `The invite is for this address only and works once, until ${expires}.`
    ],
    { label: 'Join the team', link: input.link },
    'If you did not expect this, ignore this message.'
  );
}
