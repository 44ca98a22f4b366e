import { ROLES, type Role } from '$shared/api.ts';

/** How the UI names each role, and what it lets a member do, in words the settings page and invites share. */
export const ROLE_NAMES: Record<Role, string> = {
  admin: 'Admin',
  sales: 'Sales',
  marketing: 'Marketing',
  support: 'Support',
  viewer: 'Viewer'
};

export const ROLE_ABILITIES: Record<Role, string> = {
  admin: 'manages members, invites and who can open each pipeline, and edits every board',
  sales: 'edits the boards open to sales',
  marketing: 'edits the boards open to marketing',
  support: 'edits the boards open to support',
  viewer: 'sees the boards open to viewers, live, and changes nothing'
};

/** The roles a pipeline can be limited to: admins always have access, so they are not a choice. */
export const LIMITABLE_ROLES = ROLES.filter((role): role is Exclude<Role, 'admin'> => role !== 'admin');
