/** Room names are the public address of a doc on the sync endpoint: `/ws/<room>`. */
export type RoomName = { kind: 'board'; pipelineId: string } | { kind: 'contacts'; workspaceId: string };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function boardRoom(pipelineId: string): string {
  return `board:${pipelineId}`;
}

export function contactsRoom(workspaceId: string): string {
  return `contacts:${workspaceId}`;
}

export function parseRoom(room: string): RoomName | null {
  const colon = room.indexOf(':');
  if (colon < 0) return null;
  const kind = room.slice(0, colon);
  const id = room.slice(colon + 1);
  if (!ID.test(id)) return null;
  if (kind === 'board') return { kind, pipelineId: id };
  if (kind === 'contacts') return { kind, workspaceId: id };
  return null;
}
