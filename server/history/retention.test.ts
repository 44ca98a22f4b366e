import { describe, expect, it } from 'vitest';
import { checkpointsToKeep, DAY, HOUR, retentionFromEnv, type CheckpointRef } from './retention.ts';

const policy = { rawDays: 7, hourlyDays: 30, dailyDays: 365 };
const now = 1_000 * DAY;

describe('history retention', () => {
  it('keeps the last checkpoint of each hour for 30 days, of each day for a year, and the first and newest', () => {
    const checkpoints: CheckpointRef[] = [];
    let id = 0;
    // Every 20 minutes over 400 days.
    for (let at = now - 400 * DAY; at <= now; at += 20 * 60_000) checkpoints.push({ at, lastUpdateId: ++id });
    const kept = checkpointsToKeep(checkpoints, now, policy);
    const recent = kept.filter((checkpoint) => checkpoint.at >= now - 30 * DAY);
    const older = kept.filter((checkpoint) => checkpoint.at < now - 30 * DAY);
    expect(new Set(recent.map((checkpoint) => Math.floor(checkpoint.at / HOUR))).size).toBe(recent.length);
    expect(recent.length).toBe(30 * 24 + 1);
    // One per day, besides the oldest within the year: where the history that is kept begins.
    expect(older[0].at).toBe(checkpoints.find((checkpoint) => checkpoint.at >= now - 365 * DAY)!.at);
    expect(new Set(older.slice(1).map((checkpoint) => Math.floor(checkpoint.at / DAY))).size).toBe(older.length - 1);
    expect(older.every((checkpoint) => checkpoint.at >= now - 365 * DAY)).toBe(true);
    expect(kept.at(-1)).toEqual(checkpoints.at(-1));
    // Within each hour, the one kept is the last.
    const lastOfHour = new Map<number, number>();
    for (const checkpoint of checkpoints) lastOfHour.set(Math.floor(checkpoint.at / HOUR), checkpoint.lastUpdateId);
    for (const checkpoint of recent) expect(checkpoint.lastUpdateId).toBe(lastOfHour.get(Math.floor(checkpoint.at / HOUR)));
    expect(kept.length).toBeLessThan(30 * 24 + 366 + 2);
  });

  it('keeps the newest checkpoint of a room idle for longer than the daily window, so its state can be rebuilt', () => {
    const old = { at: now - 500 * DAY, lastUpdateId: 9 };
    expect(checkpointsToKeep([old], now, policy)).toEqual([old]);
  });

  it('reads the windows from the environment and refuses nonsense', () => {
    const fail = (message: string): never => {
      throw new Error(message);
    };
    expect(retentionFromEnv({ HISTORY_RAW_DAYS: '2', HISTORY_HOURLY_DAYS: '10', HISTORY_DAILY_DAYS: '90' }, fail)).toEqual({ rawDays: 2, hourlyDays: 10, dailyDays: 90 });
    expect(retentionFromEnv({}, fail)).toEqual(policy);
    expect(() => retentionFromEnv({ HISTORY_RAW_DAYS: '0' }, fail)).toThrow(/HISTORY_RAW_DAYS/);
    expect(() => retentionFromEnv({ HISTORY_HOURLY_DAYS: '400' }, fail)).toThrow(/HISTORY_HOURLY_DAYS/);
  });
});
