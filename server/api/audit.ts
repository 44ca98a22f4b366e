import type { Context, MiddlewareHandler } from 'hono';
import type { AuditAction } from '../../shared/history.ts';
import type { AppDeps, AppEnv } from '../app-env.ts';
import { clientAddress } from '../auth/client-address.ts';
import { recordAudit } from '../store/audit-log.ts';

export interface AuditFields {
  /** The workspace it concerns; leave out for account events (sign-ins, tokens). */
  workspaceId?: string | null;
  /** Who did it; defaults to the signed-in caller. */
  actorId?: string | null;
  target?: string | null;
  detail?: Record<string, unknown>;
}

/** Any route's context: routes add their own variables on top of AppEnv's. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RouteContext = Context<any>;

export type Audit = (c: RouteContext, action: AuditAction, fields?: AuditFields) => Promise<void>;

/** Remember the caller's address for this request (as the sign-in throttle sees it), for the audit log. */
export function rememberClientAddress(trustProxy: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('clientAddress', clientAddress(c, trustProxy));
    return next();
  };
}

/**
 * Record an audit event from a route, with who, when and from where. A failed write is logged, not thrown: the
 * action it describes has already happened, and the caller must learn that it did.
 */
export function auditTrail({ db, log, clock }: AppDeps): Audit {
  return async (c, action, fields = {}) => {
    const record = {
      action,
      workspaceId: fields.workspaceId ?? null,
      actorId: fields.actorId === undefined ? ((c.get('user') as AppEnv['Variables']['user'])?.id ?? null) : fields.actorId,
      target: fields.target ?? null,
      detail: fields.detail ?? {},
      address: (c.get('clientAddress') as string | undefined) ?? null,
      at: clock()
    };
    await recordAudit(db, record).catch((error: Error) => log.error('audit log write failed', { action, error: error.message }));
  };
}
