import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import * as Y from 'yjs';
import { addDeal, initBoard, moveDeal, readDeal, readStages } from '$shared/board-doc.ts';
import { addContact } from '$shared/contacts-doc.ts';
import type { HistoryMoments } from '$shared/history.ts';
import { DEFAULT_STAGES } from '$shared/sample-pipeline.ts';
import { BoardHistory } from '../board-history.svelte.ts';
import { STATE_AT_HEADER } from '../history-api.ts';
import { formatMoment } from '../moments.ts';
import { bytes, contractFetch, json, refusal } from '../testing/contract-fetch.ts';
import HistorySlider from './HistorySlider.svelte';
import PastBoard from './PastBoard.svelte';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const T1 = T0 + 30 * MINUTE;

/**
 * A board with a history: at T1 it held Alpha (Lead in, with a contact) and Bravo; since then Alpha moved to Won
 * and Charlie was added. The server answers the T1 state as one Yjs update, as the contract says.
 */
function boardWithHistory() {
  const live = new Y.Doc();
  const contacts = new Y.Doc();
  initBoard(live, { pipelineId: 'p1', workspaceId: 'w1', name: 'Sales', stages: DEFAULT_STAGES }, { now: T0 });
  const stages = readStages(live);
  const contactId = addContact(contacts, { name: 'Ada Buyer' });
  const alpha = addDeal(live, stages[0].id, { title: 'Alpha', value: 1000, contactId }, { now: T0, position: 'bottom' });
  addDeal(live, stages[0].id, { title: 'Bravo', value: 3000 }, { now: T0, position: 'bottom' });
  const stateAtT1 = Y.encodeStateAsUpdate(live);
  moveDeal(live, alpha, stages[5].id, 0, { now: T1 + MINUTE });
  addDeal(live, stages[1].id, { title: 'Charlie', value: 500 }, { now: T1 + 2 * MINUTE });
  const timeline: HistoryMoments = { checkpoints: [{ at: T0 + 10 * MINUTE }, { at: T1 }], oldest: T0, now: T1 + 3 * MINUTE, exactFrom: null };
  const server = contractFetch()
    .on('GET', '/api/pipelines/p1/history', json(200, timeline))
    .on('GET', '/api/pipelines/p1/history/state', (url) =>
      Number(url.searchParams.get('at')) >= T1 ? bytes(stateAtT1, { [STATE_AT_HEADER]: String(T1) }) : refusal(404, 'not_found', 'nothing stored that old')
    );
  const history = new BoardHistory('p1', () => contacts);
  return { live, history, server, alpha };
}

const slider = () => screen.getByLabelText('Moment') as HTMLInputElement;
const column = (name: string) => screen.getByRole('region', { name });

afterEach(() => vi.unstubAllGlobals());

describe('History: a past board, read-only, under a banner', () => {
  it('slides over the checkpoints plus Now, and shows the board as it was at the picked one', async () => {
    const { live, history, server, alpha } = boardWithHistory();
    await history.loadTimeline();
    render(HistorySlider, { history });
    render(PastBoard, { history, onrestored: vi.fn() });

    // Oldest, two checkpoints, and Now at the right end, where the thumb starts.
    expect(slider().max).toBe('3');
    expect(slider().value).toBe('3');
    expect(slider().getAttribute('aria-valuetext')).toBe('Now (live)');
    await fireEvent.input(slider(), { target: { value: '2' } });
    expect(screen.getByTestId('history-picked').textContent).toContain(formatMoment(T1));
    expect(server.callsTo('GET', '/api/pipelines/p1/history/state')).toHaveLength(0); // dragging alone loads nothing

    await fireEvent.change(slider(), { target: { value: '2' } });
    await waitFor(() => expect(screen.getByTestId('history-banner').textContent).toBe(`Viewing the board as it was on ${formatMoment(T1)} — read-only`));
    expect(server.callsTo('GET', '/api/pipelines/p1/history/state')[0].url.searchParams.get('at')).toBe(String(T1));

    // Alpha is still in Lead in with its contact, Charlie does not exist yet.
    expect(within(column('Lead in')).getByText('Alpha')).toBeTruthy();
    expect(within(column('Lead in')).getByText('Ada Buyer')).toBeTruthy();
    expect(within(column('Lead in')).getByTitle(/^Total value/).textContent).toBe('$4,000');
    expect(within(column('Won')).queryByText('Alpha')).toBeNull();
    expect(screen.queryByText('Charlie')).toBeNull();

    // Read-only: no new deals, and Space does not pick a card up.
    expect(screen.queryByRole('button', { name: /Add deal to/ })).toBeNull();
    const past = history.store!.board;
    const before = Y.encodeStateVector(past);
    const card = document.querySelector<HTMLElement>('[data-deal-id]')!;
    expect(card.getAttribute('draggable')).not.toBe('true');
    await fireEvent.keyDown(card, { key: ' ' });
    await fireEvent.keyDown(card, { key: 'ArrowRight' });
    await fireEvent.keyDown(card, { key: ' ' });
    expect(Y.encodeStateVector(past)).toEqual(before);
    // Looking back never touched the live board: Alpha is still Won there.
    expect(readDeal(live, alpha)?.stageId).toBe(readStages(live)[5].id);
  });

  it('Back to live leaves the past board and puts the slider back on Now', async () => {
    const { history } = boardWithHistory();
    await history.loadTimeline();
    render(HistorySlider, { history });
    render(PastBoard, { history, onrestored: vi.fn() });
    await fireEvent.change(slider(), { target: { value: '2' } });
    const back = await screen.findByRole('button', { name: 'Back to live' });
    expect(document.activeElement).toBe(back);
    await fireEvent.click(back);
    expect(history.viewing).toBe(false);
    expect(screen.queryByTestId('history-banner')).toBeNull();
    expect(slider().value).toBe('3');
  });

  it('picking Now on the slider returns to live without asking the server', async () => {
    const { history, server } = boardWithHistory();
    await history.loadTimeline();
    render(HistorySlider, { history });
    await fireEvent.change(slider(), { target: { value: '2' } });
    await waitFor(() => expect(history.viewing).toBe(true));
    await fireEvent.change(slider(), { target: { value: '3' } });
    expect(history.viewing).toBe(false);
    expect(server.callsTo('GET', '/api/pipelines/p1/history/state')).toHaveLength(1);
  });

  it('shows the server’s reason when history does not reach back that far, and stays live', async () => {
    const { history } = boardWithHistory();
    await history.loadTimeline();
    render(HistorySlider, { history });
    await fireEvent.change(slider(), { target: { value: '0' } });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('nothing stored that old'));
    expect(history.viewing).toBe(false);
  });

  it('refuses a state it cannot read with a clear message instead of breaking', async () => {
    const { history, server } = boardWithHistory();
    server.on('GET', '/api/pipelines/p1/history/state', bytes(new Uint8Array([0, 255, 254, 1, 7])));
    await history.loadTimeline();
    render(HistorySlider, { history });
    await fireEvent.change(slider(), { target: { value: '1' } });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('The server sent a board state this page cannot read.'));
    expect(history.viewing).toBe(false);
  });

  it('goes to an exact date and time typed in, and refuses one before the history starts', async () => {
    const { history, server } = boardWithHistory();
    await history.loadTimeline();
    render(HistorySlider, { history });
    const exact = screen.getByLabelText('Or go to a date and time');
    const local = (at: number) => {
      const date = new Date(at);
      const pad = (value: number) => String(value).padStart(2, '0');
      return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    };
    await fireEvent.input(exact, { target: { value: local(T0 - MINUTE) } });
    await fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    expect(screen.getByRole('alert').textContent).toBe(`History reaches back to ${formatMoment(T0)}.`);
    expect(server.callsTo('GET', '/api/pipelines/p1/history/state')).toHaveLength(0);

    await fireEvent.input(exact, { target: { value: local(T1 + 90_000) } });
    await fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    await waitFor(() => expect(history.viewing).toBe(true));
    expect(server.callsTo('GET', '/api/pipelines/p1/history/state')[0].url.searchParams.get('at')).toBe(String(T1 + 90_000));
  });

  it('says from when a moment is exact to the second', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/history', json(200, { checkpoints: [{ at: T0 }], oldest: T0, now: T1, exactFrom: T0 }));
    const history = new BoardHistory('p1');
    await history.loadTimeline();
    render(HistorySlider, { history });
    expect(screen.getByText(`Exact to the second from ${formatMoment(T0)}; before that, the nearest earlier checkpoint is shown.`)).toBeTruthy();
  });

  it('says so when a board has no history yet', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/history', json(200, { checkpoints: [], oldest: null, now: T1 }));
    const history = new BoardHistory('p1');
    await history.loadTimeline();
    render(HistorySlider, { history });
    expect(screen.getByText(/No history is stored for this board yet/)).toBeTruthy();
    expect(screen.queryByLabelText('Moment')).toBeNull();
  });
});

describe('Restore the board to a moment (admins)', () => {
  it('asks first, then restores to exactly the moment on view', async () => {
    const { history, server } = boardWithHistory();
    server.on('POST', '/api/pipelines/p1/restore', json(200, { at: T1, changed: 2 }));
    const confirm = vi.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true);
    const onrestored = vi.fn();
    await history.view(T1);
    render(PastBoard, { history, isAdmin: true, onrestored });

    await fireEvent.click(screen.getByRole('button', { name: 'Restore the board to this moment' }));
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(server.callsTo('POST', '/api/pipelines/p1/restore')).toHaveLength(0);

    await fireEvent.click(screen.getByRole('button', { name: 'Restore the board to this moment' }));
    await waitFor(() => expect(onrestored).toHaveBeenCalledWith({ at: T1, changed: 2 }));
    expect(server.callsTo('POST', '/api/pipelines/p1/restore')[0].body).toEqual({ at: T1 });
  });

  it('shows why the server refused a restore', async () => {
    const { history, server } = boardWithHistory();
    server.on('POST', '/api/pipelines/p1/restore', refusal(403, 'forbidden', 'only workspace admins can do this'));
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    const onrestored = vi.fn();
    await history.view(T1);
    render(PastBoard, { history, isAdmin: true, onrestored });
    await fireEvent.click(screen.getByRole('button', { name: 'Restore the board to this moment' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('only workspace admins can do this'));
    expect(onrestored).not.toHaveBeenCalled();
  });

  it('is not offered to other members', async () => {
    const { history } = boardWithHistory();
    await history.view(T1);
    render(PastBoard, { history, isAdmin: false, onrestored: vi.fn() });
    expect(screen.getByRole('button', { name: 'Back to live' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Restore the board to this moment' })).toBeNull();
  });
});
