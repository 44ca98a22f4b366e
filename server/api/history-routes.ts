import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { stringify } from 'csv-stringify/sync';
import { canEdit, pipelineAllows, type Role } from '../../shared/api.ts';
import { auditQuerySchema, boardRestoreSchema, changeFeedQuerySchema, memberRevertSchema, momentQuery } from '../../shared/history.ts';
import type { AppDeps, AppEnv } from '../app-env.ts';
import { requireUser } from '../auth/middleware.ts';
import type { History, HistoryTarget, RestoreOutcome } from '../history/history.ts';
import { queryAudit } from '../store/audit-log.ts';
import { pipelineAccess, roleIn } from '../store/workspaces.ts';
import { auditTrail } from './audit.ts';
import { readBody } from './validate.ts';

type Needs = 'member' | 'editor' | 'admin';

/** A cell a spreadsheet would run as a formula (a member named "=HYPERLINK(…)") is written as text. */
const inertCell = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

/**
 * History, restore and the audit log: /api/pipelines/:pipelineId/{history,changes,changes/feed,reviews,deleted-deals,
 * restore,restores,revert}, /api/workspaces/:workspaceId/{deleted-contacts,contacts/:id/restore,contacts/{changes/feed,
 * restore,restores,revert},audit}.
 */
export function historyRoutes(deps: AppDeps, history: History) {
  const { db } = deps;
  const routes = new Hono<AppEnv & { Variables: { role: Role; workspaceId: string } }>();
  const audit = auditTrail(deps);

  const forbidden = (c: Context, needs: Needs) =>
    c.json({ error: 'forbidden', reason: needs === 'admin' ? 'only workspace admins can do this' : 'viewers cannot change this board' }, 403);

  /** The caller may open this pipeline (404 outside its workspace, 403 when limited to other roles) and has `needs`. */
  const pipeline =
    (needs: Needs): MiddlewareHandler<AppEnv & { Variables: { role: Role; workspaceId: string } }> =>
    async (c, next) => {
      const access = await pipelineAccess(db, c.req.param('pipelineId') ?? '');
      const role = access ? await roleIn(db, access.workspaceId, c.get('user')!.id) : null;
      if (!access || !role) return c.json({ error: 'not_found', reason: 'no such pipeline' }, 404);
      if (!pipelineAllows(access.allowedRoles, role)) return c.json({ error: 'forbidden', reason: `this pipeline is limited to other roles than yours (${role})` }, 403);
      if ((needs === 'editor' && !canEdit(role)) || (needs === 'admin' && role !== 'admin')) return forbidden(c, needs);
      c.set('role', role);
      c.set('workspaceId', access.workspaceId);
      return next();
    };

  const workspace =
    (needs: Needs): MiddlewareHandler<AppEnv & { Variables: { role: Role; workspaceId: string } }> =>
    async (c, next) => {
      const role = await roleIn(db, c.req.param('workspaceId') ?? '', c.get('user')!.id);
      if (!role) return c.json({ error: 'not_found', reason: 'no such workspace' }, 404);
      if ((needs === 'editor' && !canEdit(role)) || (needs === 'admin' && role !== 'admin')) return forbidden(c, needs);
      c.set('role', role);
      c.set('workspaceId', c.req.param('workspaceId')!);
      return next();
    };

  /** A moment from the query string, or the 400 answer naming it. */
  const queryMoment = (c: Context, name: string): { ok: true; value: number | undefined } | { ok: false; response: Response } => {
    const raw = c.req.query(name);
    if (raw === undefined || raw === '') return { ok: true, value: undefined };
    const parsed = momentQuery.safeParse(raw);
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, response: c.json({ error: 'invalid', field: name, reason: 'epoch milliseconds' }, 400) };
  };

  const answer = <T,>(c: Context, outcome: RestoreOutcome<T>, onOk: (value: T) => Response) =>
    outcome.ok ? onOk(outcome.value) : c.json({ error: outcome.status === 404 ? 'not_found' : 'conflict', reason: outcome.reason }, outcome.status);

  routes.get('/pipelines/:pipelineId/history', requireUser, pipeline('member'), async (c) => c.json(await history.moments(c.req.param('pipelineId'))));

  routes.get('/pipelines/:pipelineId/history/state', requireUser, pipeline('member'), async (c) => {
    const at = queryMoment(c, 'at');
    if (!at.ok) return at.response;
    if (at.value === undefined) return c.json({ error: 'invalid', field: 'at', reason: 'give a moment in epoch milliseconds' }, 400);
    const found = await history.boardStateAt(c.req.param('pipelineId'), at.value);
    if (!found) return c.json({ error: 'not_found', reason: 'history holds nothing that old' }, 404);
    return c.body(found.state as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/octet-stream', 'x-lanes-state-at': String(found.shownAt) });
  });

  routes.get('/pipelines/:pipelineId/changes', requireUser, pipeline('member'), async (c) => {
    const since = queryMoment(c, 'since');
    if (!since.ok) return since.response;
    return c.json(await history.changesSince(c.req.param('pipelineId'), since.value));
  });

  routes.post('/pipelines/:pipelineId/reviews', requireUser, pipeline('member'), async (c) =>
    c.json({ at: await history.recordReview(c.req.param('pipelineId'), c.get('user')!.id) }, 201)
  );

  routes.get('/pipelines/:pipelineId/deleted-deals', requireUser, pipeline('member'), async (c) => c.json(await history.deletedDeals(c.req.param('pipelineId'))));

  routes.post('/pipelines/:pipelineId/deals/:dealId/restore', requireUser, pipeline('editor'), async (c) => {
    const { pipelineId, dealId } = c.req.param();
    const outcome = await history.restoreDeal(pipelineId, dealId, c.get('user')!.id);
    if (outcome.ok) await audit(c, 'deal_restored', { workspaceId: c.get('workspaceId'), target: dealId, detail: { pipelineId, title: outcome.value.title } });
    return answer(c, outcome, ({ dealId: id }) => c.json({ dealId: id }));
  });

  /** The query of a cursor feed, or the 400 answer naming the field. */
  const feedQuery = (c: Context): { ok: true; value: { after?: number; since?: number; limit?: number } } | { ok: false; response: Response } => {
    const parsed = changeFeedQuerySchema.safeParse(c.req.query());
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = parsed.error.issues[0];
    const field = issue?.code === 'unrecognized_keys' ? issue.keys[0] : String(issue?.path[0] ?? '(query)');
    return { ok: false, response: c.json({ error: 'invalid', field, reason: issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid') }, 400) };
  };

  const boardOf = (c: Context): HistoryTarget => ({ kind: 'board', pipelineId: c.req.param('pipelineId')! });
  const contactsOf = (c: Context): HistoryTarget => ({ kind: 'contacts', workspaceId: c.req.param('workspaceId')! });
  const targetId = (target: HistoryTarget) => (target.kind === 'board' ? target.pipelineId : target.workspaceId);

  /** Feed, restore to a moment, its undo, the list of restores and a member revert: the same for a board and the contacts. */
  const docRoutes = (base: string, guard: (needs: Needs) => MiddlewareHandler<AppEnv & { Variables: { role: Role; workspaceId: string } }>, targetOf: (c: Context) => HistoryTarget) => {
    routes.get(`${base}/changes/feed`, requireUser, guard('member'), async (c) => {
      const query = feedQuery(c);
      if (!query.ok) return query.response;
      const { limit, ...cursor } = query.value;
      return c.json(await history.feed(targetOf(c), cursor, limit));
    });

    routes.post(`${base}/restore`, requireUser, guard('admin'), async (c) => {
      const body = await readBody(c, boardRestoreSchema);
      if (!body.ok) return body.response;
      const target = targetOf(c);
      const outcome = await history.restoreTo(target, body.value.at, c.get('user')!.id);
      if (!outcome.ok) return c.json({ error: outcome.status === 404 ? 'not_found' : 'conflict', reason: outcome.reason }, outcome.status);
      const detail = { ...outcome.value, asked: body.value.at, ...(target.kind === 'board' ? { pipelineId: target.pipelineId } : {}) };
      await audit(c, target.kind === 'board' ? 'board_restored' : 'contacts_restored', { workspaceId: c.get('workspaceId'), target: targetId(target), detail });
      // The restore's audit entry is what "Undo restore" names; none when nothing changed.
      const [record] = outcome.value.restoreUpdateId === null ? [] : await history.restores(target, c.get('workspaceId'));
      return c.json({ at: outcome.value.at, changed: outcome.value.changed, restoreId: record?.id ?? null });
    });

    routes.get(`${base}/restores`, requireUser, guard('admin'), async (c) => c.json(await history.restores(targetOf(c), c.get('workspaceId'))));

    routes.post(`${base}/restores/:restoreId/undo`, requireUser, guard('admin'), async (c) => {
      const target = targetOf(c);
      const restoreId = c.req.param('restoreId');
      const record = await history.restoreRecord(target, c.get('workspaceId'), restoreId);
      if (!record) return c.json({ error: 'not_found', reason: 'no such restore' }, 404);
      if (record.undone !== null) return c.json({ error: 'conflict', reason: 'this restore was undone already' }, 409);
      if (record.restoreUpdateId === null) return c.json({ error: 'conflict', reason: 'this restore changed nothing, so there is nothing to undo' }, 409);
      const outcome = await history.undoRestore(target, record.restoreUpdateId, c.get('user')!.id);
      if (outcome.ok) {
        await audit(c, 'restore_undone', { workspaceId: c.get('workspaceId'), target: targetId(target), detail: { restoreId, changed: outcome.value.changed, restoreUpdateId: outcome.value.restoreUpdateId } });
      }
      return answer(c, outcome, ({ changed }) => c.json({ restoreId, changed }));
    });

    routes.post(`${base}/revert`, requireUser, guard('admin'), async (c) => {
      const body = await readBody(c, memberRevertSchema);
      if (!body.ok) return body.response;
      const target = targetOf(c);
      const { userId, from, to } = body.value;
      const result = await history.revertMember(target, userId, from, to, c.get('user')!.id);
      const where = target.kind === 'board' ? { pipelineId: target.pipelineId } : { contacts: true };
      await audit(c, 'member_reverted', { workspaceId: c.get('workspaceId'), target: userId, detail: { ...where, from, to, reverted: result.reverted } });
      return c.json(result);
    });
  };

  docRoutes('/pipelines/:pipelineId', pipeline, boardOf);
  docRoutes('/workspaces/:workspaceId/contacts', workspace, contactsOf);

  routes.get('/workspaces/:workspaceId/deleted-contacts', requireUser, workspace('member'), async (c) => c.json(await history.deletedContacts(c.req.param('workspaceId'))));

  routes.post('/workspaces/:workspaceId/contacts/:contactId/restore', requireUser, workspace('editor'), async (c) => {
    const { workspaceId, contactId } = c.req.param();
    const outcome = await history.restoreContact(workspaceId, contactId, c.get('user')!.id);
    if (outcome.ok) await audit(c, 'contact_restored', { workspaceId, target: contactId, detail: { name: outcome.value.name } });
    return answer(c, outcome, ({ contactId: id }) => c.json({ contactId: id }));
  });

  routes.get('/workspaces/:workspaceId/audit', requireUser, workspace('admin'), async (c) => {
    const parsed = auditQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.code === 'unrecognized_keys' ? issue.keys[0] : String(issue?.path[0] ?? '(query)');
      return c.json({ error: 'invalid', field, reason: issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid') }, 400);
    }
    const { format, ...filter } = parsed.data;
    const entries = await queryAudit(db, c.req.param('workspaceId'), filter);
    if (format !== 'csv') return c.json({ entries });
    const csv = stringify(
      entries.map((entry) =>
        [entry.id, new Date(entry.at).toISOString(), entry.actor?.id ?? '', entry.actor?.name ?? '', entry.action, entry.target ?? '', JSON.stringify(entry.detail), entry.address ?? ''].map(
          inertCell
        )
      ),
      { header: true, columns: ['id', 'at', 'actor_id', 'actor_name', 'action', 'target', 'detail', 'address'] }
    );
    return c.body(csv, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="audit-log.csv"' });
  });

  return routes;
}
