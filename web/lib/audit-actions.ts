import type { AuditAction } from '$shared/history.ts';

/** How the audit log names each action, in the words an admin would use. */
export const AUDIT_ACTION_NAMES: Record<AuditAction, string> = {
  signin: 'Signed in',
  signin_failed: 'Failed sign-in',
  signup: 'Signed up',
  invite_created: 'Invite created',
  invite_revoked: 'Invite revoked',
  invite_accepted: 'Invite accepted',
  member_role_changed: 'Role changed',
  member_removed: 'Member removed',
  pipeline_created: 'Pipeline created',
  pipeline_renamed: 'Pipeline renamed',
  pipeline_access_changed: 'Pipeline access changed',
  token_created: 'API token created',
  token_revoked: 'API token revoked',
  deal_restored: 'Deal restored',
  contact_restored: 'Contact restored',
  board_restored: 'Board restored',
  member_reverted: 'Member’s changes reverted',
  contacts_restored: 'Contacts restored',
  restore_undone: 'Restore undone',
  signout_everywhere: 'Logged out everywhere',
  password_reset_requested: 'Password reset link requested',
  password_reset: 'Password reset by e-mail link',
  password_changed: 'Password changed',
  account_renamed: 'Display name changed'
};

/** An action's name; an action this page does not know yet is shown as the server spelled it. */
export function auditActionName(action: string): string {
  return (AUDIT_ACTION_NAMES as Record<string, string>)[action] ?? action.replaceAll('_', ' ');
}

/** An entry's detail object as short "key: value" pairs, for a table cell. */
export function auditDetailText(detail: unknown): string {
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return '';
  return Object.entries(detail as Record<string, unknown>)
    .map(([key, value]) => `${key}: ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`)
    .join(', ')
    .slice(0, 300);
}
