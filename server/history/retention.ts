/**
 * What history keeps, and for how long (env: HISTORY_RAW_DAYS, HISTORY_HOURLY_DAYS, HISTORY_DAILY_DAYS):
 * - raw log rows (every update, exact to the millisecond) for `rawDays`;
 * - one checkpoint (the doc's state) per hour with activity for `hourlyDays`, then one per day for `dailyDays`;
 * - the change feed for `dailyDays`, except removals, which are kept for good: they hold what restoring needs.
 */
export interface RetentionPolicy {
  rawDays: number;
  hourlyDays: number;
  dailyDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { rawDays: 7, hourlyDays: 30, dailyDays: 365 };

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface CheckpointRef {
  at: number;
  lastUpdateId: number;
}

/**
 * The checkpoints to keep at `now`: the latest of each hour in the hourly window, the latest of each day in the
 * daily window, nothing older. The newest always stays (the current state can always be rebuilt), and so does the
 * oldest within the daily window (where history begins, e.g. the board as it was created).
 */
export function checkpointsToKeep(checkpoints: readonly CheckpointRef[], now: number, policy: RetentionPolicy): CheckpointRef[] {
  const hourlyFrom = now - policy.hourlyDays * DAY;
  const dailyFrom = now - policy.dailyDays * DAY;
  const latestPerBucket = new Map<string, CheckpointRef>();
  let newest: CheckpointRef | undefined;
  let oldest: CheckpointRef | undefined;
  for (const checkpoint of checkpoints) {
    if (!newest || isLater(checkpoint, newest)) newest = checkpoint;
    if (checkpoint.at < dailyFrom) continue;
    if (!oldest || isLater(oldest, checkpoint)) oldest = checkpoint;
    const bucket = checkpoint.at >= hourlyFrom ? `h${Math.floor(checkpoint.at / HOUR)}` : `d${Math.floor(checkpoint.at / DAY)}`;
    const held = latestPerBucket.get(bucket);
    if (!held || isLater(checkpoint, held)) latestPerBucket.set(bucket, checkpoint);
  }
  const kept = new Set(latestPerBucket.values());
  if (newest) kept.add(newest);
  if (oldest) kept.add(oldest);
  return checkpoints.filter((checkpoint) => kept.has(checkpoint));
}

const isLater = (a: CheckpointRef, b: CheckpointRef) => a.lastUpdateId > b.lastUpdateId || (a.lastUpdateId === b.lastUpdateId && a.at > b.at);

/** A retention window from the environment: whole days, at least 1. */
export function retentionFromEnv(env: Record<string, string | undefined>, fail: (message: string) => never): RetentionPolicy {
  const days = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) fail(`${name} must be a whole number of days, at least 1`);
    return value;
  };
  const policy = {
    rawDays: days('HISTORY_RAW_DAYS', DEFAULT_RETENTION.rawDays),
    hourlyDays: days('HISTORY_HOURLY_DAYS', DEFAULT_RETENTION.hourlyDays),
    dailyDays: days('HISTORY_DAILY_DAYS', DEFAULT_RETENTION.dailyDays)
  };
  if (policy.hourlyDays > policy.dailyDays) fail('HISTORY_HOURLY_DAYS must not be longer than HISTORY_DAILY_DAYS');
  return policy;
}
